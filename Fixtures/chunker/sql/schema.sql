-- Accounts and sessions for the auth service.
CREATE TABLE users (
    id BIGINT PRIMARY KEY,
    email VARCHAR(255) NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE public.sessions (
    id CHAR(32) PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    expires_at TIMESTAMP NOT NULL
);

CREATE INDEX sessions_by_user ON public.sessions (user_id);

-- Sessions still valid now.
CREATE VIEW active_sessions AS
SELECT s.id, u.email
FROM public.sessions s
JOIN users u ON u.id = s.user_id
WHERE s.expires_at > NOW();

CREATE FUNCTION session_count(uid BIGINT) RETURNS BIGINT AS $$
    SELECT COUNT(*) FROM public.sessions WHERE user_id = uid;
$$ LANGUAGE sql;

INSERT INTO users (id, email) VALUES (1, 'ann@example.com');

-- Monthly report of logins per domain.
SELECT
    split_part(u.email, '@', 2) AS domain,
    date_trunc('month', s.expires_at) AS month,
    COUNT(*) AS logins,
    COUNT(DISTINCT u.id) AS users
FROM public.sessions s
JOIN users u ON u.id = s.user_id
WHERE s.expires_at > NOW() - INTERVAL '1 year'
GROUP BY domain, month
HAVING COUNT(*) > 10
ORDER BY month DESC, logins DESC
LIMIT 100;

CREATE PROCEDURE purge_sessions(IN cutoff TIMESTAMP)
BEGIN
    DELETE FROM public.sessions WHERE expires_at < cutoff;
END;

CREATE TRIGGER sessions_touch BEFORE UPDATE ON public.sessions
FOR EACH ROW EXECUTE FUNCTION touch();
