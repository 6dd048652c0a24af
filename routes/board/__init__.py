"""The class board: students send drawings from their phones, the teacher's board shows where the room's
models put them. HTTP and JSON only (school networks block the rest), and never a Streamlit session.

- api.py: the routes (`Board`, an ASGI middleware in front of Streamlit, as routes/files.py's Files) and the
  event stream's fan-out;
- models.py: a room's pair of models, and what the server computes from a drawing's pixels;
- store.py: what a store keeps and promises, and which one runs (VAE_BOARD);
- sqlite.py: the embedded default, one SQLite file (WAL) that every replica on this machine shares;
- redis.py: Redis streams, for replicas on several machines.
"""
