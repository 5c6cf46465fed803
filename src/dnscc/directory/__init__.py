"""The directory of DNS operators: organisations, TLDs, root servers, contacts, lookups."""
