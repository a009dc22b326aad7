-- One database per service: no service reads another's tables.
CREATE DATABASE registry;
CREATE DATABASE ticketing;
CREATE DATABASE estimation;
CREATE DATABASE notify;
