-- Prompt templates: a description per version (a new version without one
-- keeps the previous version's), shown in listings.
ALTER TABLE prompts ADD COLUMN description TEXT NOT NULL DEFAULT '';
