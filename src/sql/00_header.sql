-- bounce extension install script.
--
-- Assembled by make from src/sql/*.sql, one fragment per concern, in file
-- name order.  Every object lives in the extension's schema and is named
-- through @extschema@ (the extension is not relocatable), following the
-- PostgreSQL documentation's "Security Considerations for Extension
-- Scripts": no CREATE OR REPLACE, no SECURITY DEFINER, and every function
-- that runs SQL has a fixed search_path.

\echo Use "CREATE EXTENSION bounce" to load this file. \quit

COMMENT ON SCHEMA @extschema@ IS 'bounce: bounce classification, recurring-bounce flags and registrar scoring';
