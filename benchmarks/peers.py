r"""GenGS against the real peers, side by side in one run (issue 5).

Every implementation runs in its own worker process (`peer_worker.py`), so
TensorFlow, PyTorch and JAX never share a process or thread pool; the driver
interleaves them round by round after a warm-up and reports medians and the
ratio to ours. Peers run in a separate environment:

  python3 -m venv .venv-peers
  .venv-peers/bin/pip install -r benchmarks/requirements-peers.txt
  python -m benchmarks.peers       # writes benchmarks/results/peers.md

Before timing, each implementation's samples are checked to follow the same
distribution (mean and variance at a fixed rate, tolerance from the sample
size). The peers renormalise the PMF over `0..n-1`; GenGS puts the tail mass
`P(X >= n-1)` on `n-1` (Definition 1 of the paper), so the two conventions
agree once that tail is negligible.

`--scaling` adds our time and peak memory as `n` grows to 5,000 and the batch
to 10,000 (each point in a fresh process; memory is the growth of the
process's peak resident set during the first two calls).
"""

import json
import os
import subprocess
import sys
import tempfile
import time

from absl import app
from absl import flags
import numpy as np

from benchmarks import machine

flags.DEFINE_string('peers_python', '.venv-peers/bin/python',
                    'Interpreter of the peers environment.')
flags.DEFINE_integer('rounds', 7, 'Interleaved timing rounds.')
flags.DEFINE_integer('calls', 3, 'Calls per round.')
flags.DEFINE_list('shapes', ['100x50x10', '100x50x50', '100x50x200',
                             '100x50x1000', '1000x200x50'],
                  'batch x dims x n.')
flags.DEFINE_list('implementations', [], 'Subset to run (default: all).')
flags.DEFINE_integer('moment_samples', 200000, 'Samples per moment check.')
flags.DEFINE_bool('scaling', False, 'Also run the scaling study (ours).')
flags.DEFINE_string('output', 'benchmarks/results/peers.md',
                    'Markdown report written here ("" for none).')
FLAGS = flags.FLAGS

OURS = ('tfp_gengs (tf.function)', 'tfp_gengs (XLA)')
PLAIN = 'plain TFP GS + matvec (tf.function)'
PEERS = ('torch F.gumbel_softmax + matmul',
         'relaxit GeneralizedGumbelSoftmax',
         'pyRDDLGym-jax GumbelSoftmaxPoisson (jit)')
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Worker:
  """A persistent worker process for one implementation."""

  def __init__(self, name, python):
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL='3')
    self.name = name
    self.log = tempfile.TemporaryFile(mode='w+')  # the worker's stderr
    self.process = subprocess.Popen(
        [python, '-m', 'benchmarks.peer_worker', name], cwd=ROOT, env=env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
        text=True)

  def ask(self, **command):
    self.process.stdin.write(json.dumps(command) + '\n')
    self.process.stdin.flush()
    line = self.process.stdout.readline()
    if not line:
      self.log.seek(0)
      raise RuntimeError(f'worker {self.name!r} died on {command}:\n'
                         f'{self.log.read()[-3000:]}')
    return json.loads(line)

  def close(self):
    try:
      self.process.stdin.write('{"cmd": "quit"}\n')
      self.process.stdin.flush()
    except (BrokenPipeError, OSError):
      pass
    self.process.wait(timeout=60)


def interpreter(name):
  return sys.executable if name in OURS or name == PLAIN else (
      FLAGS.peers_python)


def moments_check(workers, num):
  """Sample mean/variance at rate 3 for n = 10 and 50, per implementation."""
  rows = []
  for n in (10, 50):
    stats = {w.name: w.ask(cmd='moments', rate=3., n=n, num=num)
             for w in workers}
    ref = stats[PLAIN] if PLAIN in stats else next(iter(stats.values()))
    for name, s in stats.items():
      tol = 5. * np.sqrt((s['var'] + ref['var']) / num)
      rows.append(dict(n=n, name=name, mean=s['mean'], var=s['var'],
                       diff=s['mean'] - ref['mean'], tol=tol,
                       agrees=bool(abs(s['mean'] - ref['mean']) < tol)))
      print(f'  moments n={n:3d} {name:45s} mean={s["mean"]:.4f} '
            f'var={s["var"]:.4f} diff={rows[-1]["diff"]:+.4f} (tol {tol:.4f})',
            flush=True)
  return rows


def time_shapes(workers, shapes, rounds, calls):
  results = []
  for shape in shapes:
    batch, dims, n = map(int, shape.split('x'))
    for w in workers:
      w.ask(cmd='setup', batch=batch, dims=dims, n=n)
    times = {w.name: [] for w in workers}
    for _ in range(rounds):
      for w in workers:
        times[w.name].append(w.ask(cmd='time', calls=calls)['ms'])
    medians = {k: float(np.median(v)) for k, v in times.items()}
    results.append(dict(shape=shape, medians=medians))
    print(f'{shape:12s} ' + '  '.join(f'{k.split(" ")[0]}={v:.2f}'
                                      for k, v in medians.items()),
          flush=True)
  return results


def scaling_point(batch, dims, n, jit):
  """Time and peak-memory growth of ours for one shape, in a fresh process."""
  code = f'''
import json, resource, time
from benchmarks import peer_worker
make, _ = peer_worker.IMPLEMENTATIONS[{OURS[1 if jit else 0]!r}]()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
step = make({batch}, {dims}, {n})
step(); step()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
times = []
for _ in range(5):
  t = time.perf_counter(); step(); times.append(time.perf_counter() - t)
times.sort()
print(json.dumps(dict(ms=times[2] * 1e3, peak_mib=(after - before) / 1024)))
'''
  env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL='3')
  out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, env=env,
                       capture_output=True, text=True)
  if out.returncode:
    raise RuntimeError(out.stderr[-3000:])
  return json.loads(out.stdout.strip().splitlines()[-1])


def scaling_study():
  rows = []
  grid = [(100, 50, n) for n in (10, 100, 1000, 5000)] + [
      (b, 50, 50) for b in (10, 100, 1000, 10000)]
  for batch, dims, n in grid:
    for jit in (False, True):
      r = scaling_point(batch, dims, n, jit)
      tensor_mib = batch * dims * n * 4 / 2**20
      rows.append(dict(batch=batch, dims=dims, n=n, xla=jit, ms=r['ms'],
                       peak_mib=r['peak_mib'], tensor_mib=tensor_mib))
      print(f'  scaling {batch}x{dims}x{n} xla={jit}: {r["ms"]:.2f} ms, '
            f'peak +{r["peak_mib"]:.0f} MiB (one [B,D,n] f32 tensor: '
            f'{tensor_mib:.1f} MiB)', flush=True)
  return rows


def versions(python):
  code = ('import importlib.metadata as m\n'
          'out=[]\n'
          'for p in ["tensorflow","tensorflow-probability","torch","relaxit",'
          '"jax","pyRDDLGym-jax"]:\n'
          '  try: out.append(p+" "+m.version(p))\n'
          '  except Exception: pass\n'
          'print(", ".join(out))')
  return subprocess.run([python, '-c', code], capture_output=True,
                        text=True).stdout.strip()


def peer_versions(names):
  """The peers' versions, asked only when a peer ran (its venv may be
  absent)."""
  if not any(n in PEERS for n in names):
    return 'none run'
  return versions(FLAGS.peers_python)


def report(moments, timings, scaling, elapsed, names):
  lines = [
      '# GenGS against the peers: relaxed Poisson sample + gradient', '',
      f'Machine: {machine.describe()}.', '',
      f'Versions: {versions(sys.executable)}; peers: '
      f'{peer_versions(names)}.', '',
      f'Command: `python -m benchmarks.peers{" --scaling" if scaling else ""}`'
      f' ({FLAGS.rounds} interleaved rounds of {FLAGS.calls} calls after a '
      f'warm-up; each implementation in its own process; median ms per call '
      f'of sample + gradient of `sum((z - 2)^2)` w.r.t. rates `[batch, dims]`,'
      f' outcomes 0..n-1, temperature 0.5). Total time {elapsed:.0f} s.', '',
      '## Same distribution?', '',
      'Sample mean and variance at rate 3 '
      f'({FLAGS.moment_samples} samples); `diff` is the mean minus plain '
      "TFP's, `tol` five standard errors. Peers renormalise over 0..n-1; "
      'GenGS puts the tail `P(X >= n-1)` on n-1 (0.0038 at n = 10, below '
      '1e-30 at n = 50).', '',
      '| n | implementation | mean | variance | diff | tol | agrees |',
      '|---|---|---|---|---|---|---|']
  for m in moments:
    lines.append(f'| {m["n"]} | {m["name"]} | {m["mean"]:.4f} | '
                 f'{m["var"]:.4f} | {m["diff"]:+.4f} | {m["tol"]:.4f} | '
                 f'{"yes" if m["agrees"] else "no"} |')
  lines += ['', '## Time (median ms per call; ratio = time / ours)', '']
  header = '| batch x dims x n | ' + ' | '.join(names) + (
      ' | fastest peer / ours | ours / plain TFP |')
  lines += [header, '|' + '---|' * (len(names) + 3)]
  for t in timings:
    m = t['medians']
    ours = min(m[k] for k in OURS if k in m)
    cells = [f'{m[k]:.2f} ({m[k] / ours:.2f}x)' for k in names]
    peers = [m[k] for k in PEERS if k in m]
    fastest = f'{min(peers) / ours:.2f}' if peers else 'n/a'
    vs_plain = f'{ours / m[PLAIN]:.2f}' if PLAIN in m else 'n/a'
    lines.append(f'| {t["shape"]} | ' + ' | '.join(cells) +
                 f' | {fastest} | {vs_plain} |')
  if scaling:
    lines += ['', '## Scaling of tfp_gengs (fresh process per point)', '',
              '| batch x dims x n | mode | ms | ms per 1e6 elements | '
              'peak RSS growth (MiB) | one [B,D,n] f32 tensor (MiB) |',
              '|---|---|---|---|---|---|']
    for r in scaling:
      elements = r['batch'] * r['dims'] * r['n']
      lines.append(
          f'| {r["batch"]}x{r["dims"]}x{r["n"]} | '
          f'{"XLA" if r["xla"] else "tf.function"} | {r["ms"]:.2f} | '
          f'{r["ms"] / elements * 1e6:.2f} | {r["peak_mib"]:.0f} | '
          f'{r["tensor_mib"]:.1f} |')
  return '\n'.join(lines) + '\n'


def main(argv):
  del argv
  start = time.time()
  names = FLAGS.implementations or list(OURS) + [PLAIN] + list(PEERS)
  if any(n in PEERS for n in names) and not os.path.exists(
      FLAGS.peers_python):
    raise SystemExit(
        f'{FLAGS.peers_python} not found: create the peers environment '
        '(see the module docstring) or pass --implementations.')
  workers = [Worker(name, interpreter(name)) for name in names]
  try:
    moments = moments_check(workers, FLAGS.moment_samples)
    timings = time_shapes(workers, FLAGS.shapes, FLAGS.rounds, FLAGS.calls)
  finally:
    for w in workers:
      w.close()
  scaling = scaling_study() if FLAGS.scaling else None
  text = report(moments, timings, scaling, time.time() - start, names)
  machine.print_and_write(text, FLAGS.output)


if __name__ == '__main__':
  app.run(main)
