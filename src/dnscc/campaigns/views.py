"""Portal pages of campaigns."""
