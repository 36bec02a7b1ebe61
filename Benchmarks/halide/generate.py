"""AOT-compiles the Halide baselines of the suite's image pipelines.

    python generate.py OUT_DIR --threads T

For blur3x3 and harris (pipelines.py), three variants each: Halide's own
hand schedule (as its apps ship it), Mullapudi2016 and Adams2019 (each
autoscheduler with its default parameters and, for Adams2019, its default
weights, given the suite rows' sizes as estimates and T as parallelism).
Writes OUT_DIR/halide_KERNEL_VARIANT.{o,h} (pipelines without a runtime),
OUT_DIR/halide_runtime.o (the one runtime they share: Halide's own pthread
pool, not OpenMP) and, for the autoschedulers, the schedule each chose
(OUT_DIR/halide_KERNEL_VARIANT.schedule.h), all for the host CPU.
"""
import argparse
import importlib.metadata
import os
import sys

import halide as hl

from pipelines import PIPELINES

# The suite rows' sizes (Benchmarks/suite.tsv: BLUR-1, HARRIS-1): estimates
# for the autoschedulers; the compiled code takes any size.
SUITE_SIZES = {"blur3x3": (2046, 2046), "harris": (1532, 2556)}
AUTOSCHEDULERS = {"mullapudi2016": "Mullapudi2016", "adams2019": "Adams2019"}


def build(kernel, variant, target, threads, out_dir):
    define, schedule_by_hand = PIPELINES[kernel]
    height, width = SUITE_SIZES[kernel]
    p = define(height, width)
    pipeline = hl.Pipeline(p.output)
    name = f"halide_{kernel}_{variant}"
    if variant == "manual":
        schedule_by_hand(p, target)
    else:
        params = hl.AutoschedulerParams(AUTOSCHEDULERS[variant], {"parallelism": str(threads)})
        result = pipeline.apply_autoscheduler(target, params)
        with open(os.path.join(out_dir, name + ".schedule.h"), "w") as f:
            f.write(f"// {AUTOSCHEDULERS[variant]} for {kernel} H={height},W={width}, "
                    f"target {target}, parallelism {threads}\n" + result.schedule_source)
    outputs = {hl.OutputFileType.object: os.path.join(out_dir, name + ".o"),
               hl.OutputFileType.c_header: os.path.join(out_dir, name + ".h")}
    pipeline.compile_to(outputs, [p.input], name, target.with_feature(hl.TargetFeature.NoRuntime))
    print(f"  {name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    # The wheel ships the autoscheduler plugins beside libHalide, outside
    # the loader's search path: load them by their full path.
    plugins = os.path.join(os.path.dirname(hl.__file__), "lib64")
    for plugin in AUTOSCHEDULERS:
        hl.load_plugin(os.path.join(plugins, f"libautoschedule_{plugin}.so"))
    target = hl.get_host_target()
    print(f"Halide {importlib.metadata.version('halide')} for {target}, parallelism {args.threads}")
    for kernel in PIPELINES:
        for variant in ["manual", *AUTOSCHEDULERS]:
            build(kernel, variant, target, args.threads, args.out_dir)
    hl.compile_standalone_runtime(os.path.join(args.out_dir, "halide_runtime.o"), target)


if __name__ == "__main__":
    sys.exit(main())
