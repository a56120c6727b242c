"""`python -m tfp_gengs.experiments.synthetic`: the study's command line."""

from tfp_gengs.experiments.synthetic import main

if __name__ == '__main__':
  main.cli()
