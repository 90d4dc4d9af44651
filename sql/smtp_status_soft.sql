-- smtp_status soft input errors (PostgreSQL 16+): pg_input_is_valid works.
-- On older servers the input function throws; this file then only says so.
-- Two expected files: smtp_status_soft.out (16+) and smtp_status_soft_1.out.
SET search_path = bounce, public;
SELECT current_setting('server_version_num')::int >= 160000 AS soft_errors \gset
\if :soft_errors
SELECT v, pg_input_is_valid(v, 'bounce.smtp_status')
  FROM unnest(ARRAY['5.1.1', '5.1', '6.1.1', '5.1.1000', 'x.1.1', '', '5..1', '5.1.1.1', '5.01.1']) v;
SELECT * FROM pg_input_error_info('5.01.1', 'bounce.smtp_status');
\else
SELECT 'soft errors need PostgreSQL 16' AS skipped;
\endif
