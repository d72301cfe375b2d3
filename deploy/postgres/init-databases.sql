-- One database per service (each service owns its own; nobody reads another's).
-- Run once by the postgres image at its first start (docker-entrypoint-initdb.d).
CREATE DATABASE identity;
CREATE DATABASE communities;
CREATE DATABASE feed;
CREATE DATABASE documents;
CREATE DATABASE translation;
CREATE DATABASE notifications;
CREATE DATABASE search;
CREATE DATABASE agenda;
