"""Root server information sharing: the letters' RSSAC002 daily metrics, anomalies in them
opened as monitoring alerts, the center's own RSSAC047 measurements of every letter, and
the root operators' space in an incident (docs/rootinfo.md)."""
