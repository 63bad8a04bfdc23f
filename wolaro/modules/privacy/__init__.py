"""The privacy module: `/privacy export`, `/privacy delete` and `/privacy erase` over every module's hooks."""
