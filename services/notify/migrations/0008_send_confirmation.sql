-- Every send carries our message id as biz_opaque_callback_data, which Meta echoes in the
-- status callbacks of that message. When the answer to a send is lost (a read timeout, a
-- crash before the outcome was recorded), a callback carrying the id proves Meta accepted
-- it, and gives its wamid: the message is then recorded as sent, not sent again.
ALTER TABLE delivery_statuses ADD COLUMN callback_data text;
CREATE INDEX delivery_statuses_by_callback ON delivery_statuses (callback_data)
    WHERE callback_data IS NOT NULL;
