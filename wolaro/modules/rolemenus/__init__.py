"""Role menus: buttons, select menus and reactions that give members roles."""
