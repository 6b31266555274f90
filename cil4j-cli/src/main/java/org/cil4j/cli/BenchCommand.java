package org.cil4j.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.cil4j.bench.Bench;
import org.cil4j.bench.BenchOptions;
import org.cil4j.engine.Engines;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cil bench}: training, inference and data throughput, beside a PyTorch reference. */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        subcommands = BenchServeCommand.class,
        description = "Measure ResNet-32 training steps (plain and per method), inference, NME evaluation and the data "
                + "pipeline on synthetic 32x32 images, next to PyTorch on the same machine; print a Markdown table.")
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--threads", description = "intra-op threads for cil4j and PyTorch (default: all cores)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--warmup", description = "untimed steps per measurement (default: ${DEFAULT-VALUE})")
    int warmup = 3;

    @Option(names = "--iterations", description = "timed steps per repeat (default: ${DEFAULT-VALUE})")
    int iterations = 8;

    @Option(names = "--repeats", description = "repeats; medians and min/max are over them (default: ${DEFAULT-VALUE})")
    int repeats = 5;

    @Option(names = "--batch", description = "training batch (default: ${DEFAULT-VALUE})")
    int batch = 128;

    @Option(names = "--eval-batch", description = "inference batch (default: ${DEFAULT-VALUE})")
    int evalBatch = 256;

    @Option(
            names = "--methods",
            split = ",",
            description = "registered methods whose step to time besides the plain one, e.g. lucir,der"
                    + " (default: every method with a row)")
    List<String> methods = List.of();

    @Option(names = "--out", description = "also write the Markdown table to this file (e.g. docs/BENCHMARKS.md)")
    Path out;

    @Option(
            names = "--device",
            description = "cpu, gpu or auto for cil4j's side (default: ${DEFAULT-VALUE}; gpu needs the"
                    + " GPU build, README \"On a GPU\")")
    String device = "cpu";

    @Option(names = "--skip-pytorch", description = "do not run the PyTorch reference")
    boolean skipPytorch;

    @Option(
            names = "--python",
            description =
                    "Python interpreter with torch (default: python3 or /usr/bin/python3, whichever imports torch)")
    String python;

    @Option(
            names = "--pytorch-script",
            description = "the reference script (default: bench/pytorch_resnet32.py found upwards from here)")
    Path script;

    @Override
    public Integer call() throws Exception {
        BenchOptions o = new BenchOptions(threads, warmup, iterations, repeats, batch, evalBatch, methods);
        ai.djl.Device d = Engines.start(device, threads);
        Bench.Report report = Bench.run(o, d, !skipPytorch, script, python, System.err);
        String md = report.markdown();
        System.out.print(md);
        System.out.flush();
        if (out != null) {
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(out, md, StandardCharsets.UTF_8);
        }
        return 0;
    }
}
