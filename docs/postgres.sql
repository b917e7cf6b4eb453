-- wxrev desk history on PostgreSQL (13 or later; tested on 15).
--
-- Apply with `wxrev history init --history postgresql://OWNER@HOST/DB`, or on
-- an empty database with `psql -v ON_ERROR_STOP=1 -1 -f docs/postgres.sql`.
-- wxrev builds this file into its binary: `history init` runs the preamble
-- and every "-- wxrev schema version N" section above the database's version,
-- each in one transaction; the schema only ever moves forward.
--
-- Who may do what
--   owner            the role that applies this file: owns every table and
--                    function; the only one who may delete or rewrite rows.
--   wxrev_operator   granted to each operator's login role. May read
--                    everything and insert reversals in its own name (the
--                    operator column is always session_user); may change
--                    only its own unfinished rows, and only through the
--                    functions below (claim, attempt, finish, relock).
--   wxrev_reader     read only (a team lead reviewing the day).
--   Create operators with, for example:
--     CREATE ROLE alice LOGIN; GRANT wxrev_operator TO alice;
--
-- The claim: one live reversal per sp_mchid + sub_mchid + out_trade_no across
-- the whole desk. Two things together, because each alone fails a case:
--   * The `pending` row is the durable claim: a unique partial index allows
--     one pending row per order, so it survives a client crash and a server
--     restart, and nothing is sent before it is committed.
--   * Its owner's liveness is a session advisory lock on the row id, taken
--     by wxrev.claim() in the same transaction as the insert. The server
--     releases it the moment the owner's connection ends (client killed,
--     machine gone once TCP keepalives give up); the claim then lingers
--     claim_linger_s (wxrev.meta, 30 s, version 2) after the row last
--     changed, since the dead desk's last request may still be at WeChat
--     Pay, and no longer: a colleague does not wait for a dead desk.
--     After a server restart no session holds any lock yet: for
--     restart_grace_s (wxrev.meta, 30 s) after the server started, every
--     pending row counts as live, so a desk still waiting for WeChat Pay's
--     answer can reconnect and take its lock back (wxrev.relock) before
--     anyone judges its row abandoned.
-- A pending row that is not live is abandoned: the next claim of that order,
-- or the next start of any wxrev (wxrev.recover), turns it into `unknown`
-- (INTERRUPTED) for settling by query, exactly as on SQLite.
-- A claim whose answer never reached its desk (a frozen server, a broken
-- network) may still have inserted its row: that desk closes it itself with
-- wxrev.finish as `failed` (NOT_SENT, no attempt) once no session holds it,
-- at its next claim or start, so the row neither holds the order against
-- its own operator nor turns unknown.
-- Row-id advisory locks use the key pair (2004382326 = "wxrv", id), the
-- per-order serialisation of claim() the pair (2004382327, hash of the order).

-- preamble: roles, schema and the version table (safe to run again)
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wxrev_operator') THEN
		CREATE ROLE wxrev_operator NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wxrev_reader') THEN
		CREATE ROLE wxrev_reader NOLOGIN;
	END IF;
END
$$;
CREATE SCHEMA IF NOT EXISTS wxrev;
REVOKE ALL ON SCHEMA wxrev FROM PUBLIC;
GRANT USAGE ON SCHEMA wxrev TO wxrev_operator, wxrev_reader;
CREATE TABLE IF NOT EXISTS wxrev.meta (
	one boolean PRIMARY KEY DEFAULT true CHECK (one),
	version integer NOT NULL,               -- schema version
	restart_grace_s integer NOT NULL DEFAULT 30 -- see "The claim" above
);
GRANT SELECT ON wxrev.meta TO wxrev_operator, wxrev_reader;

-- wxrev schema version 1
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE FUNCTION wxrev.now_ms() RETURNS bigint
LANGUAGE sql STABLE AS
$$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint $$;

CREATE TABLE wxrev.reversals (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	created_ms bigint NOT NULL DEFAULT wxrev.now_ms(),
	updated_ms bigint NOT NULL DEFAULT wxrev.now_ms(),
	operator text NOT NULL DEFAULT session_user,
	desk text NOT NULL DEFAULT '',          -- host name of the desk
	note text,
	partner_name text,
	sp_mchid text NOT NULL DEFAULT '',
	sub_name text,
	sub_mchid text NOT NULL DEFAULT '',
	out_trade_no text NOT NULL DEFAULT '',
	endpoint text,
	outcome text NOT NULL DEFAULT 'pending' CHECK (outcome IN
		('pending', 'reversed', 'rejected', 'failed', 'unknown')),
	http_status integer NOT NULL DEFAULT 0,
	code text,
	message text,
	attempts integer NOT NULL DEFAULT 0,
	latency_ms bigint NOT NULL DEFAULT 0,
	pid bigint,                             -- owning process on its desk
	imported_from text,                     -- operator of an imported row
	import_key text UNIQUE,                 -- identity of an imported row
	-- What the history filter searches, one field per \x1f-separated part.
	search text GENERATED ALWAYS AS (lower(
		out_trade_no || E'\x1f' || coalesce(sub_name, '') || E'\x1f' ||
		sub_mchid || E'\x1f' || outcome || E'\x1f' ||
		coalesce(code, '') || E'\x1f' || coalesce(note, ''))) STORED
);

CREATE TABLE wxrev.attempts (
	reversal_id bigint NOT NULL REFERENCES wxrev.reversals(id)
		ON DELETE CASCADE,
	n integer NOT NULL,
	started_ms bigint NOT NULL,
	url text,
	request_headers text,
	request_body text,
	status integer NOT NULL DEFAULT 0,
	response_headers text,
	response_body text,
	verify text,
	transport_error text,
	latency_ms bigint NOT NULL DEFAULT 0,
	request_id text,
	kind text NOT NULL DEFAULT 'reverse',   -- 'reverse', or 'query' (version 2)
	PRIMARY KEY (reversal_id, n)
);

-- The claim: at most one pending reversal per order across the desk.
CREATE UNIQUE INDEX reversals_claim ON wxrev.reversals
	(sp_mchid, sub_mchid, out_trade_no) WHERE outcome = 'pending';
-- Each index ends in id, so "= $1 AND id < $2 ORDER BY id DESC" pages in order.
CREATE INDEX reversals_outcome ON wxrev.reversals (outcome, id);
CREATE INDEX reversals_code ON wxrev.reversals (code, id);
CREATE INDEX reversals_sub_mchid ON wxrev.reversals (sub_mchid, id);
CREATE INDEX reversals_sub_name ON wxrev.reversals (sub_name, id);
CREATE INDEX reversals_operator ON wxrev.reversals (operator, id);
CREATE INDEX reversals_created ON wxrev.reversals (created_ms);
CREATE INDEX reversals_order ON wxrev.reversals (sub_mchid, out_trade_no, id);
CREATE INDEX reversals_search ON wxrev.reversals
	USING gin (search public.gin_trgm_ops);

-- A killed desk's last request may still be at WeChat Pay: its claim
-- lingers claim_linger_s after the row last changed (each attempt changes
-- it), longer than a request's timeout and back-off, so no second request
-- for the order can overlap it.
ALTER TABLE wxrev.meta ADD COLUMN claim_linger_s integer NOT NULL DEFAULT 30;

-- Is the owner of pending row `r_id` still there (see the header)?
CREATE FUNCTION wxrev.owner_alive(r_id bigint) RETURNS boolean
LANGUAGE sql STABLE AS
$$ SELECT EXISTS (SELECT FROM pg_locks
		  WHERE locktype = 'advisory' AND granted
		  AND classid = 2004382326 AND objid = (r_id % 2147483648)
		  AND objsubid = 2)
	OR pg_postmaster_start_time() > clock_timestamp() -
		make_interval(secs => (SELECT restart_grace_s FROM wxrev.meta))
	OR EXISTS (SELECT FROM wxrev.reversals r WHERE r.id = r_id
		   AND r.updated_ms > wxrev.now_ms() -
			1000 * (SELECT claim_linger_s FROM wxrev.meta)) $$;

-- Turns abandoned pending rows into unknown (INTERRUPTED): row p_id, or
-- with NULL every one of the desk; returns how many.
CREATE FUNCTION wxrev.recover(p_id bigint DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = wxrev, pg_temp AS
$$
DECLARE
	n integer;
BEGIN
	UPDATE wxrev.reversals r SET outcome = 'unknown', code = 'INTERRUPTED',
		updated_ms = wxrev.now_ms(),
		message = 'the program stopped before the answer arrived: '
			're-run the reversal (same parameters are safe) or query the order'
	WHERE r.outcome = 'pending' AND (p_id IS NULL OR r.id = p_id)
	AND NOT wxrev.owner_alive(r.id);
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;

-- Locks one's own unfinished reversal, or refuses: the one check of every
-- function that changes one (not granted: they call it).
CREATE FUNCTION wxrev.lock_unfinished(p_id bigint) RETURNS void
LANGUAGE plpgsql AS
$$
BEGIN
	PERFORM FROM wxrev.reversals r WHERE r.id = p_id
	AND r.operator = session_user AND r.outcome IN ('pending', 'unknown')
	FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'reversal #% is not an unfinished reversal of %',
			p_id, session_user USING ERRCODE = '42501';
	END IF;
END
$$;

-- Stores one exchange as it is given (not granted: the functions that
-- check who may add it call it).
CREATE FUNCTION wxrev.keep_attempt(p_reversal_id bigint, p_n integer,
	p_started_ms bigint, p_url text, p_request_headers text,
	p_request_body text, p_status integer, p_response_headers text,
	p_response_body text, p_verify text, p_transport_error text,
	p_latency_ms bigint, p_request_id text, p_kind text) RETURNS void
LANGUAGE sql AS
$$ INSERT INTO wxrev.attempts (reversal_id, n, started_ms, url,
	request_headers, request_body, status, response_headers, response_body,
	verify, transport_error, latency_ms, request_id, kind)
   VALUES (p_reversal_id, p_n, p_started_ms, p_url, p_request_headers,
	p_request_body, p_status, p_response_headers, p_response_body, p_verify,
	p_transport_error, p_latency_ms, p_request_id, p_kind) $$;

-- Claims the order and inserts its pending row in the caller's name. When a
-- live reversal of the same order exists, inserts nothing and returns the
-- holder (id is NULL). An abandoned pending row becomes unknown first.
CREATE FUNCTION wxrev.claim(p_note text, p_partner_name text, p_sp_mchid text,
	p_sub_name text, p_sub_mchid text, p_out_trade_no text,
	p_endpoint text, p_desk text, p_pid bigint,
	OUT id bigint, OUT created_ms bigint, OUT holder text,
	OUT holder_desk text, OUT holder_since_ms bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = wxrev, pg_temp AS
$$
DECLARE
	live wxrev.reversals%ROWTYPE;
BEGIN
	PERFORM pg_advisory_xact_lock(2004382327,
		hashtext(p_sp_mchid || '/' || p_sub_mchid || '/' || p_out_trade_no));
	SELECT * INTO live FROM wxrev.reversals r
	WHERE r.outcome = 'pending' AND r.sp_mchid = p_sp_mchid
	AND r.sub_mchid = p_sub_mchid AND r.out_trade_no = p_out_trade_no
	FOR UPDATE;
	IF FOUND THEN
		IF wxrev.owner_alive(live.id) THEN
			holder := live.operator;
			holder_desk := live.desk;
			holder_since_ms := live.created_ms;
			RETURN;
		END IF;
		PERFORM wxrev.recover(live.id);
	END IF;
	INSERT INTO wxrev.reversals AS r (operator, desk, note, partner_name,
		sp_mchid, sub_name, sub_mchid, out_trade_no, endpoint, pid)
	VALUES (session_user, coalesce(p_desk, ''), p_note, p_partner_name,
		p_sp_mchid, p_sub_name, p_sub_mchid, p_out_trade_no, p_endpoint,
		p_pid)
	RETURNING r.id, r.created_ms INTO id, created_ms;
	-- Held by this session until it ends: the row's liveness.
	PERFORM pg_advisory_lock(2004382326, (id % 2147483648)::integer);
END
$$;

-- Takes back the liveness lock of one's own pending row after a reconnect.
CREATE FUNCTION wxrev.relock(p_id bigint) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = wxrev, pg_temp AS
$$
BEGIN
	PERFORM FROM wxrev.reversals r WHERE r.id = p_id
	AND r.operator = session_user AND r.outcome = 'pending' FOR UPDATE;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	RETURN pg_try_advisory_lock(2004382326, (p_id % 2147483648)::integer);
END
$$;

-- Appends one exchange to one's own unfinished reversal.
CREATE FUNCTION wxrev.attempt(p_reversal_id bigint, p_n integer,
	p_started_ms bigint, p_url text, p_request_headers text,
	p_request_body text, p_status integer, p_response_headers text,
	p_response_body text, p_verify text, p_transport_error text,
	p_latency_ms bigint, p_request_id text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = wxrev, pg_temp AS
$$
BEGIN
	PERFORM wxrev.lock_unfinished(p_reversal_id);
	UPDATE wxrev.reversals r SET attempts = r.attempts + 1,
		http_status = p_status, latency_ms = r.latency_ms + p_latency_ms,
		updated_ms = wxrev.now_ms()
	WHERE r.id = p_reversal_id;
	PERFORM wxrev.keep_attempt(p_reversal_id, p_n, p_started_ms, p_url,
		p_request_headers, p_request_body, p_status, p_response_headers,
		p_response_body, p_verify, p_transport_error, p_latency_ms,
		p_request_id, 'reverse');
END
$$;

-- Records the outcome of one's own unfinished reversal; ends its claim.
CREATE FUNCTION wxrev.finish(p_id bigint, p_outcome text, p_http_status integer,
	p_code text, p_message text, p_latency_ms bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = wxrev, pg_temp AS
$$
BEGIN
	PERFORM wxrev.lock_unfinished(p_id);
	UPDATE wxrev.reversals r SET outcome = p_outcome,
		http_status = p_http_status, code = p_code, message = p_message,
		latency_ms = p_latency_ms, updated_ms = wxrev.now_ms()
	WHERE r.id = p_id;
	IF p_outcome <> 'pending' THEN
		PERFORM pg_advisory_unlock(2004382326, (p_id % 2147483648)::integer);
	END IF;
END
$$;

-- Colleagues' rows appear at once: every change says which row.
CREATE FUNCTION wxrev.notify_change() RETURNS trigger
LANGUAGE plpgsql AS
$$
BEGIN
	PERFORM pg_notify('wxrev_history', NEW.id::text);
	RETURN NULL;
END
$$;
CREATE TRIGGER reversals_notify AFTER INSERT OR UPDATE ON wxrev.reversals
	FOR EACH ROW EXECUTE FUNCTION wxrev.notify_change();

-- Rights: read for all, insert in one's own name, change only via functions.
ALTER TABLE wxrev.reversals ENABLE ROW LEVEL SECURITY;
ALTER TABLE wxrev.attempts ENABLE ROW LEVEL SECURITY;
CREATE POLICY read_all ON wxrev.reversals FOR SELECT USING (true);
CREATE POLICY insert_own ON wxrev.reversals FOR INSERT
	WITH CHECK (operator = session_user AND outcome = 'pending'
		    AND attempts = 0 AND imported_from IS NULL);
CREATE POLICY read_all ON wxrev.attempts FOR SELECT USING (true);
REVOKE ALL ON wxrev.reversals, wxrev.attempts FROM PUBLIC;
GRANT SELECT ON wxrev.reversals, wxrev.attempts TO wxrev_operator, wxrev_reader;
GRANT INSERT (desk, note, partner_name, sp_mchid, sub_name, sub_mchid,
	out_trade_no, endpoint, pid) ON wxrev.reversals TO wxrev_operator;
REVOKE ALL ON FUNCTION wxrev.claim, wxrev.relock, wxrev.attempt, wxrev.finish,
	wxrev.recover, wxrev.owner_alive, wxrev.lock_unfinished,
	wxrev.keep_attempt FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wxrev.claim, wxrev.relock, wxrev.attempt,
	wxrev.finish, wxrev.recover, wxrev.owner_alive TO wxrev_operator;
INSERT INTO wxrev.meta (version) VALUES (1);

-- wxrev schema version 2
-- The order query: kept as requests of the reversal it settles (kind
-- 'query'); a reversal says how it was settled and the trade states seen.
ALTER TABLE wxrev.reversals ADD COLUMN settled_by text,
	ADD COLUMN trade_state_before text, ADD COLUMN trade_state_after text;

-- Keeps an order query about one's own reversal, numbered after the others,
-- without counting it as a reversal attempt.
CREATE FUNCTION wxrev.add_query(p_reversal_id bigint, p_started_ms bigint,
	p_url text, p_request_headers text, p_request_body text,
	p_status integer, p_response_headers text, p_response_body text,
	p_verify text, p_transport_error text, p_latency_ms bigint,
	p_request_id text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = wxrev, pg_temp AS
$$
BEGIN
	PERFORM FROM wxrev.reversals r WHERE r.id = p_reversal_id
	AND r.operator = session_user FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'reversal #% is not a reversal of %',
			p_reversal_id, session_user USING ERRCODE = '42501';
	END IF;
	PERFORM wxrev.keep_attempt(p_reversal_id, (SELECT coalesce(max(n), 0)
		+ 1 FROM wxrev.attempts WHERE reversal_id = p_reversal_id),
		p_started_ms, p_url, p_request_headers, p_request_body,
		p_status, p_response_headers, p_response_body, p_verify,
		p_transport_error, p_latency_ms, p_request_id, 'query');
END
$$;

-- Settles one's own `unknown` reversal from a query; NULL keeps what is
-- stored. False when the row is not one's own open reversal.
CREATE FUNCTION wxrev.settle(p_id bigint, p_outcome text, p_code text,
	p_message text, p_settled_by text, p_before text, p_after text)
	RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = wxrev, pg_temp AS
$$
BEGIN
	UPDATE wxrev.reversals r SET outcome = p_outcome,
		code = coalesce(p_code, r.code),
		message = coalesce(p_message, r.message),
		settled_by = p_settled_by,
		trade_state_before = coalesce(p_before, r.trade_state_before),
		trade_state_after = coalesce(p_after, r.trade_state_after),
		updated_ms = wxrev.now_ms()
	WHERE r.id = p_id AND r.operator = session_user
	AND r.outcome = 'unknown';
	RETURN FOUND;
END
$$;
REVOKE ALL ON FUNCTION wxrev.add_query, wxrev.settle FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wxrev.add_query, wxrev.settle TO wxrev_operator;

-- `wxrev history import FILE.db`: a personal SQLite history moves into the
-- desk once. Rows land in the importer's name with the original operator in
-- imported_from; import_key (the row's identity in its file) makes running
-- the import again harmless.
CREATE FUNCTION wxrev.import_reversal(p_key text, p_from text,
	p_created_ms bigint, p_updated_ms bigint, p_note text,
	p_partner_name text, p_sp_mchid text, p_sub_name text,
	p_sub_mchid text, p_out_trade_no text, p_endpoint text,
	p_outcome text, p_http_status integer, p_code text, p_message text,
	p_attempts integer, p_latency_ms bigint, p_settled_by text,
	p_before text, p_after text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = wxrev, pg_temp AS
$$
DECLARE
	new_id bigint;
BEGIN
	IF p_outcome = 'pending' THEN
		RAISE EXCEPTION 'a pending reversal cannot be imported'
			USING ERRCODE = '22023';
	END IF;
	INSERT INTO wxrev.reversals AS r (created_ms, updated_ms, operator,
		desk, note, partner_name, sp_mchid, sub_name, sub_mchid,
		out_trade_no, endpoint, outcome, http_status, code, message,
		attempts, latency_ms, imported_from, import_key, settled_by,
		trade_state_before, trade_state_after)
	VALUES (p_created_ms, p_updated_ms, session_user, '', p_note,
		p_partner_name, p_sp_mchid, p_sub_name, p_sub_mchid,
		p_out_trade_no, p_endpoint, p_outcome, p_http_status, p_code,
		p_message, p_attempts, p_latency_ms, p_from, p_key,
		p_settled_by, p_before, p_after)
	ON CONFLICT (import_key) DO NOTHING
	RETURNING r.id INTO new_id;
	RETURN new_id;
END
$$;

-- The exchanges of a reversal one has just imported.
CREATE FUNCTION wxrev.import_attempt(p_reversal_id bigint, p_n integer,
	p_started_ms bigint, p_url text, p_request_headers text,
	p_request_body text, p_status integer, p_response_headers text,
	p_response_body text, p_verify text, p_transport_error text,
	p_latency_ms bigint, p_request_id text, p_kind text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = wxrev, pg_temp AS
$$
BEGIN
	PERFORM FROM wxrev.reversals r WHERE r.id = p_reversal_id
	AND r.operator = session_user AND r.imported_from IS NOT NULL
	AND NOT EXISTS (SELECT FROM wxrev.attempts a
			WHERE a.reversal_id = r.id AND a.n = p_n);
	IF NOT FOUND THEN
		RAISE EXCEPTION 'reversal #% is not an import of %',
			p_reversal_id, session_user USING ERRCODE = '42501';
	END IF;
	PERFORM wxrev.keep_attempt(p_reversal_id, p_n, p_started_ms, p_url,
		p_request_headers, p_request_body, p_status, p_response_headers,
		p_response_body, p_verify, p_transport_error, p_latency_ms,
		p_request_id, coalesce(p_kind, 'reverse'));
END
$$;
REVOKE ALL ON FUNCTION wxrev.import_reversal, wxrev.import_attempt FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wxrev.import_reversal, wxrev.import_attempt
	TO wxrev_operator;
-- The answer of an exchange recorded before it was sent (wxrev.attempt with
-- status 0): fills in the response side; an exchange never started is
-- appended whole, as wxrev.attempt does. Running it twice changes nothing
-- more, so a result written again after a lost connection is harmless.
CREATE FUNCTION wxrev.answer(p_reversal_id bigint, p_n integer,
	p_started_ms bigint, p_url text, p_request_headers text,
	p_request_body text, p_status integer, p_response_headers text,
	p_response_body text, p_verify text, p_transport_error text,
	p_latency_ms bigint, p_request_id text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = wxrev, pg_temp AS
$$
DECLARE
	old wxrev.attempts%ROWTYPE;
BEGIN
	PERFORM wxrev.lock_unfinished(p_reversal_id);
	SELECT * INTO old FROM wxrev.attempts a
	WHERE a.reversal_id = p_reversal_id AND a.n = p_n;
	IF NOT FOUND THEN
		PERFORM wxrev.attempt(p_reversal_id, p_n, p_started_ms, p_url,
			p_request_headers, p_request_body, p_status,
			p_response_headers, p_response_body, p_verify,
			p_transport_error, p_latency_ms, p_request_id);
		RETURN;
	END IF;
	IF old.response_headers IS NOT DISTINCT FROM p_response_headers
	   AND old.status = p_status AND old.latency_ms = p_latency_ms
	   AND old.transport_error IS NOT DISTINCT FROM p_transport_error THEN
		RETURN;
	END IF;
	UPDATE wxrev.attempts a SET status = p_status,
		response_headers = p_response_headers,
		response_body = p_response_body, verify = p_verify,
		transport_error = p_transport_error, latency_ms = p_latency_ms,
		request_id = p_request_id
	WHERE a.reversal_id = p_reversal_id AND a.n = p_n;
	UPDATE wxrev.reversals r SET http_status = p_status,
		latency_ms = r.latency_ms - old.latency_ms + p_latency_ms,
		updated_ms = wxrev.now_ms()
	WHERE r.id = p_reversal_id;
END
$$;
REVOKE ALL ON FUNCTION wxrev.answer FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wxrev.answer TO wxrev_operator;
UPDATE wxrev.meta SET version = 2;

-- wxrev schema version 3
-- Order queries asked on their own (the confirmation, F5, wxrev query): no
-- money moves, but each is a request that left, kept with the order it
-- asked about and what it read. An operator inserts in its own name only
-- (operator is session_user and not insertable) and changes nothing after.
CREATE TABLE wxrev.queries (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	created_ms bigint NOT NULL DEFAULT wxrev.now_ms(),
	operator text NOT NULL DEFAULT session_user,
	desk text NOT NULL DEFAULT '',
	partner_name text,
	sp_mchid text NOT NULL DEFAULT '',
	sub_name text,
	sub_mchid text NOT NULL DEFAULT '',
	out_trade_no text NOT NULL DEFAULT '',
	trade_state text,
	code text,
	message text,
	url text,
	request_headers text,
	status integer NOT NULL DEFAULT 0,
	response_headers text,
	response_body text,
	verify text,
	transport_error text,
	latency_ms bigint NOT NULL DEFAULT 0,
	request_id text
);
CREATE INDEX queries_order ON wxrev.queries (out_trade_no, sub_mchid);
REVOKE ALL ON wxrev.queries FROM PUBLIC;
GRANT SELECT ON wxrev.queries TO wxrev_operator, wxrev_reader;
GRANT INSERT (created_ms, desk, partner_name, sp_mchid, sub_name, sub_mchid,
	out_trade_no, trade_state, code, message, url, request_headers, status,
	response_headers, response_body, verify, transport_error, latency_ms,
	request_id) ON wxrev.queries TO wxrev_operator;
UPDATE wxrev.meta SET version = 3;

-- wxrev schema version 4
-- `wxrev history import FILE.db` also carries the file's kept order
-- queries, once: in the importer's name with the original operator in
-- imported_from, import_key (the query's identity in its file) making a
-- second import harmless, as for reversals.
ALTER TABLE wxrev.queries
	ADD COLUMN imported_from text,          -- operator of an imported query
	ADD COLUMN import_key text UNIQUE;      -- identity of an imported query
CREATE FUNCTION wxrev.import_query(p_key text, p_from text,
	p_created_ms bigint, p_partner_name text, p_sp_mchid text,
	p_sub_name text, p_sub_mchid text, p_out_trade_no text,
	p_trade_state text, p_code text, p_message text, p_url text,
	p_request_headers text, p_status integer, p_response_headers text,
	p_response_body text, p_verify text, p_transport_error text,
	p_latency_ms bigint, p_request_id text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = wxrev, pg_temp AS
$$
DECLARE
	new_id bigint;
BEGIN
	INSERT INTO wxrev.queries AS q (created_ms, operator, desk,
		partner_name, sp_mchid, sub_name, sub_mchid, out_trade_no,
		trade_state, code, message, url, request_headers, status,
		response_headers, response_body, verify, transport_error,
		latency_ms, request_id, imported_from, import_key)
	VALUES (p_created_ms, session_user, '', p_partner_name, p_sp_mchid,
		p_sub_name, p_sub_mchid, p_out_trade_no, p_trade_state, p_code,
		p_message, p_url, p_request_headers, p_status,
		p_response_headers, p_response_body, p_verify,
		p_transport_error, p_latency_ms, p_request_id, p_from, p_key)
	ON CONFLICT (import_key) DO NOTHING
	RETURNING q.id INTO new_id;
	RETURN new_id;
END
$$;
REVOKE ALL ON FUNCTION wxrev.import_query FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wxrev.import_query TO wxrev_operator;
UPDATE wxrev.meta SET version = 4;
