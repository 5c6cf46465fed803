"""Pure domain types shared by every part of dnscc. No Django import may appear here."""
