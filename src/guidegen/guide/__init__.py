"""One person's guide: the modules chosen and personalised for them, their plan, progress and
what changed since their last guide. No HTML pages, no paper, no files written."""
