package org.cil4j.bench;

import java.util.List;

/**
 * How much the benchmark measures.
 *
 * @param threads intra-op threads for cil4j and PyTorch
 * @param warmup untimed steps (or batches) per measurement before timing
 * @param iterations timed steps (or batches) per repeat
 * @param repeats timed repeats; medians and spreads are over them
 * @param batch training batch
 * @param evalBatch inference batch
 * @param methods registered methods whose step to time besides the plain one, or empty for every
 *     method with a row
 */
public record BenchOptions(
        int threads, int warmup, int iterations, int repeats, int batch, int evalBatch, List<String> methods) {
    /** Checks the values. */
    public BenchOptions {
        if (threads < 1 || warmup < 0 || iterations < 1 || repeats < 1 || batch < 2 || evalBatch < 1) {
            throw new org.cil4j.CilException(
                    "bench needs threads >= 1, warmup >= 0, iterations >= 1, repeats >= 1, batch >= 2");
        }
        methods = List.copyOf(methods);
    }

    /** Every method with a row. */
    public BenchOptions(int threads, int warmup, int iterations, int repeats, int batch, int evalBatch) {
        this(threads, warmup, iterations, repeats, batch, evalBatch, List.of());
    }
}
