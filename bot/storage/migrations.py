"""Numbered schema migrations; each is applied once, in a transaction, and recorded."""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE posts (
            id TEXT PRIMARY KEY,
            guild_id TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            thread_id TEXT,
            parent_id TEXT,
            author_id TEXT NOT NULL,
            author_name TEXT,
            author_created_at TEXT,
            author_joined_at TEXT,
            created_at TEXT NOT NULL,
            edited_at TEXT,
            content TEXT,                 -- NULL once the retention period has passed
            content_hash TEXT NOT NULL,   -- kept forever
            content_len INTEGER NOT NULL,
            truncated INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX posts_guild_time ON posts (guild_id, created_at);
        CREATE INDEX posts_author ON posts (guild_id, author_id);

        CREATE TABLE verdicts (
            post_id TEXT PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
            guild_id TEXT NOT NULL,
            scores TEXT NOT NULL,
            flags TEXT NOT NULL,
            evidence TEXT NOT NULL,
            model_versions TEXT NOT NULL,
            cluster TEXT,
            scored_at TEXT NOT NULL
        );
        CREATE INDEX verdicts_guild_time ON verdicts (guild_id, scored_at);

        CREATE TABLE cases (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            guild_id TEXT NOT NULL,
            detector TEXT NOT NULL,
            group_key TEXT NOT NULL,      -- one case per post, per campaign or per author
            status TEXT NOT NULL CHECK (status IN ('open', 'confirmed', 'dismissed', 'escalated')),
            severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
            score REAL NOT NULL,
            channel_id TEXT,
            evidence TEXT NOT NULL,
            model_versions TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            alert_channel_id TEXT,
            alert_message_id TEXT
        );
        CREATE INDEX cases_group ON cases (guild_id, detector, group_key);
        CREATE INDEX cases_status ON cases (guild_id, status, created_at);

        CREATE TABLE case_posts (
            case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
            detector TEXT NOT NULL,
            post_id TEXT NOT NULL REFERENCES posts (id),
            author_id TEXT NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (case_id, post_id),
            UNIQUE (detector, post_id)    -- scanning a post twice never makes a second case
        );

        CREATE TABLE reviews (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            case_id INTEGER NOT NULL REFERENCES cases (id),
            moderator_id TEXT NOT NULL,
            decision TEXT NOT NULL CHECK (decision IN ('confirm', 'dismiss', 'escalate')),
            action TEXT NOT NULL,
            note TEXT,
            created_at TEXT NOT NULL
        );

        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            guild_id TEXT NOT NULL,
            actor_id TEXT NOT NULL,       -- a moderator's id, or 'govmod' for the bot itself
            action TEXT NOT NULL,
            case_id INTEGER,
            detail TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

        CREATE TABLE guild_settings (
            guild_id TEXT PRIMARY KEY,
            alert_channel_id TEXT,
            report_channel_id TEXT,
            moderator_role_id TEXT,
            thresholds TEXT NOT NULL DEFAULT '{}',
            disabled TEXT NOT NULL DEFAULT '[]',
            auto_hide_threshold REAL,     -- NULL: never act without a human (the default)
            show_names INTEGER NOT NULL DEFAULT 0
        );

        CREATE TABLE watched_channels (
            guild_id TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            agent_reads INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (guild_id, channel_id)
        );

        CREATE TABLE detector_state (
            detector TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (detector, key)
        );

        CREATE TABLE reactions (
            guild_id TEXT NOT NULL,
            message_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            emoji TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (message_id, user_id, emoji)
        );

        CREATE TABLE member_joins (
            guild_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            joined_at TEXT NOT NULL,
            account_created_at TEXT,
            PRIMARY KEY (guild_id, user_id, joined_at)
        );

        CREATE TABLE report_runs (
            guild_id TEXT NOT NULL,
            week TEXT NOT NULL,           -- ISO week, e.g. 2026-W47
            sent_at TEXT NOT NULL,
            PRIMARY KEY (guild_id, week)
        );
        """,
    ),
    (
        2,
        """
        -- per-guild link lists edited with /govmod links (scam_link detector)
        CREATE TABLE guild_domains (
            guild_id TEXT NOT NULL,
            domain TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('allow', 'block')),
            added_by TEXT NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (guild_id, domain)
        );
        """,
    ),
    (
        4,
        """
        -- review queue integrity: a 'merged' status (the CHECK is loosened in place, SQLite's documented
        -- way to loosen a CHECK constraint: every existing row satisfies the new one), links between
        -- cases, case membership per post version (an edit after a dismissal may open a new case),
        -- moderators' notes, and what each action of a decision did
        PRAGMA writable_schema=ON;
        UPDATE sqlite_master SET sql = replace(sql, '''dismissed'', ''escalated'')',
            '''dismissed'', ''escalated'', ''merged'')') WHERE type = 'table' AND name = 'cases';
        PRAGMA writable_schema=RESET;
        ALTER TABLE cases ADD COLUMN merged_into INTEGER;
        ALTER TABLE cases ADD COLUMN follows_case_id INTEGER;

        CREATE TABLE case_posts_v4 (
            case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
            detector TEXT NOT NULL,
            post_id TEXT NOT NULL REFERENCES posts (id),
            author_id TEXT NOT NULL,
            added_at TEXT NOT NULL,
            post_edited_at TEXT NOT NULL DEFAULT '',  -- the version of the post this case judged
            score REAL,                               -- that version's score (NULL for older rows)
            PRIMARY KEY (case_id, post_id),
            UNIQUE (detector, post_id, post_edited_at)  -- rescanning a version never makes a second case
        );
        INSERT INTO case_posts_v4 (case_id, detector, post_id, author_id, added_at)
            SELECT case_id, detector, post_id, author_id, added_at FROM case_posts;
        DROP TABLE case_posts;
        ALTER TABLE case_posts_v4 RENAME TO case_posts;
        CREATE INDEX case_posts_author ON case_posts (author_id, case_id);

        CREATE TABLE case_notes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            case_id INTEGER NOT NULL REFERENCES cases (id),
            guild_id TEXT NOT NULL,
            author_id TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX case_notes_case ON case_notes (case_id);

        CREATE TABLE review_actions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            review_id INTEGER NOT NULL REFERENCES reviews (id),
            case_id INTEGER NOT NULL,
            target_kind TEXT NOT NULL CHECK (target_kind IN ('message', 'member')),
            target_id TEXT NOT NULL,
            result TEXT NOT NULL CHECK (result IN ('done', 'gone', 'forbidden', 'failed')),
            detail TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        CREATE INDEX review_actions_review ON review_actions (review_id);
        """,
    ),
    (
        5,
        """
        -- small facts the bot keeps about itself, e.g. the hash of the slash commands last synced
        CREATE TABLE bot_state (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        -- alert outbox: why a case's alert has not reached the moderators yet, and when to try again
        CREATE TABLE alert_outbox (
            case_id INTEGER PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            last_attempt_at TEXT,
            next_attempt_at TEXT
        );
        CREATE INDEX cases_without_alert ON cases (guild_id, created_at) WHERE alert_message_id IS NULL;
        """,
    ),
    (
        7,
        """
        -- imported deny / allow lists (govmod links import, scheduled feed refresh); scope '' = every server
        CREATE TABLE link_lists (
            scope TEXT NOT NULL,
            name TEXT NOT NULL,
            source TEXT NOT NULL,         -- file path or URL it was read from
            format TEXT NOT NULL,         -- polkadot-js | metamask | plain
            listed_on TEXT NOT NULL,      -- date of the list (import or fetch time)
            deny_count INTEGER NOT NULL,
            allow_count INTEGER NOT NULL,
            PRIMARY KEY (scope, name)
        );
        CREATE TABLE link_list_domains (
            scope TEXT NOT NULL,
            name TEXT NOT NULL,
            domain TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('allow', 'block')),
            PRIMARY KEY (scope, name, kind, domain),
            FOREIGN KEY (scope, name) REFERENCES link_lists (scope, name) ON DELETE CASCADE
        );
        CREATE INDEX link_list_domains_scope ON link_list_domains (scope, kind);
        """,
    ),
    (
        8,
        """
        -- per detector, the categories that open cases in this guild (toxicity: hate, harassment, threat,
        -- profanity); a detector not named here uses its own default
        ALTER TABLE guild_settings ADD COLUMN categories TEXT NOT NULL DEFAULT '{}';
        """,
    ),
]
