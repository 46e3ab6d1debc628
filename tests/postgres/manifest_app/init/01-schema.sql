CREATE TABLE report (id serial PRIMARY KEY, title text NOT NULL);
