-- Created after loading: the checks read bounded time windows and join transactions to orders.
CREATE INDEX orders_created_date ON orders (created_date);
CREATE INDEX transactions_order_id ON transactions (order_id);
CREATE INDEX transactions_created_date ON transactions (created_date);
CREATE INDEX payments_aggregate_day ON payments_aggregate (created_day);
CREATE INDEX checkout_hourly_hour ON checkout_hourly (hour);
