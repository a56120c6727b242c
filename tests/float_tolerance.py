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

# Training on exact outcomes (a hard-sample estimator such as StoRB*) turns
# those last-place differences into occasional different draws: a logit that
# moves by 1e-7 near a Gumbel-max tie changes the sampled outcome and the
# step's loss by a whole term. Three runs of the toy VAE's StoRB* fine-tuning
# epoch, identical up to thread scheduling, spread by 5e-4 (relative, over 20
# steps); 5e-3 is ten times that, and half of what separates that epoch from
# the same epoch trained on relaxed samples instead (2.5%).
DISCRETE_RESUME_RTOL = 5e-3
