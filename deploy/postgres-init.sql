-- Prefect's own database beside Newswatch's (POSTGRES_DB); run once, on the first start.
CREATE DATABASE prefect OWNER newswatch;
