"""The portal shell: base layout, navigation, error pages, shared view helpers."""
