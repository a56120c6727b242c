"""How closely a resumed run must match an uninterrupted one.

Not a test module: the resume tests import it (pytest puts `tests/` on the
path).

A resumed run replays the same random draws (stateless seeds of
`(seed, epoch, step)`) from the same checkpointed variables, so it is the
same computation. It is not the same bits: TensorFlow's multi-threaded CPU
reductions sum in an order that depends on thread scheduling unless op
determinism is on, so two float32 runs differ by a few units in the last
place per reduction (seen: 123.64625994 against 123.64626122, a relative
1e-8). Training carries such differences forward through a few dozen
optimizer steps; `RESUME_RTOL` = 1e-4 (about 800 float32 epsilons) covers
that with margin, and is still 50 times below what a wrong resume moves the
toy runs' losses (another epoch's draws or a lost optimizer state changes
them by more than 0.5%).
"""

RESUME_RTOL = 1e-4
