"""`python -m tfp_gengs.experiments.topic_model`: the study's command line."""

from tfp_gengs.experiments.topic_model import main

if __name__ == '__main__':
  main.cli()
