-- The language a user chose with /language (a locale such as 'ru' or 'pt_BR'); NULL: the one
-- their Telegram app's language_code names (users.language), or English.
ALTER TABLE users ADD COLUMN locale TEXT;
