package org.cil4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Runs {@code cil} in a child JVM with the test class path, as a user would. */
final class ChildRun {
    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A small real run: LUCIR (two stages per incremental phase, an old model, exemplars) on 3
     * phases of 2 Fashion-MNIST classes, 100 training and 100 test images per class.
     */
    static final List<String> SMALL_LUCIR = List.of(
            "--dataset",
            "fashion-mnist",
            "--method",
            "lucir",
            "--base",
            "2",
            "--increment",
            "2",
            "--epochs",
            "3",
            "--device",
            "cpu",
            "--quiet",
            "--set",
            "scenario.classes=6",
            "--set",
            "scenario.trainPerClass=100",
            "--set",
            "scenario.testPerClass=100",
            "--set",
            "model.arch=small-cnn",
            "--set",
            "model.classifier=cosine",
            "--set",
            "model.lastRelu=false",
            "--set",
            "train.batchSize=32",
            "--set",
            "train.lr=0.02");

    private ChildRun() {}

    static Process start(Path log, List<String> jvm, String... args) throws IOException {
        return start(log, jvm, Allocator.AS_LAUNCHER, args);
    }

    /** Which native allocator the child runs with. */
    enum Allocator {
        /** as ./cil runs it: tcmalloc preloaded where the machine has it, glibc's otherwise */
        AS_LAUNCHER,
        /** glibc's malloc, as on a machine without tcmalloc */
        GLIBC,
        /** tcmalloc preloaded (the caller checks that the machine has it) */
        TCMALLOC
    }

    static final Path TCMALLOC = Path.of("/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4");

    static Process start(Path log, List<String> jvm, Allocator allocator, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Dai.djl.offline=true");
        cmd.addAll(jvm);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("org.cil4j.cli.Main");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        boolean preload = allocator == Allocator.TCMALLOC
                || (allocator == Allocator.AS_LAUNCHER
                        && Files.exists(TCMALLOC)
                        && System.getenv("LD_PRELOAD") == null);
        if (preload) {
            pb.environment().put("LD_PRELOAD", TCMALLOC.toString());
        } else if (allocator == Allocator.GLIBC) {
            // and without the launcher's allocator settings: the product must hold without them
            pb.environment()
                    .keySet()
                    .removeIf(k -> k.equals("LD_PRELOAD") || k.equals("GLIBC_TUNABLES") || k.startsWith("MALLOC_"));
        }
        return pb.start();
    }

    static Process start(Path log, String... args) throws IOException {
        return start(log, List.of(), args);
    }

    /** Runs to the end and returns the exit code. */
    static int run(Path log, String... args) throws Exception {
        Process p = start(log, args);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("cil " + String.join(" ", args) + " did not finish in 120 s; log:\n" + Files.readString(log));
        }
        return p.exitValue();
    }

    static void runOk(Path log, String... args) throws Exception {
        int rc = run(log, args);
        assertEquals(0, rc, () -> "exit code; log:\n" + read(log));
    }

    /** Waits until an epoch record matches, then kills the process with SIGKILL. */
    static void killWhen(Process p, Path epochs, Predicate<JsonNode> when, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                fail("the run ended before it could be killed (exit " + p.exitValue() + "); log:\n" + read(log));
            }
            for (JsonNode r : epochRecords(epochs)) {
                if (when.test(r)) {
                    p.destroyForcibly();
                    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
                    assertEquals(137, p.exitValue(), "killed by SIGKILL");
                    return;
                }
            }
            Thread.sleep(20);
        }
        p.destroyForcibly();
        fail("the awaited epoch never came; log:\n" + read(log));
    }

    static List<JsonNode> epochRecords(Path epochs) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(epochs)) {
            return out;
        }
        for (String line : Files.readAllLines(epochs, StandardCharsets.UTF_8)) {
            try {
                out.add(JSON.readTree(line));
            } catch (IOException e) {
                // a line being written
            }
        }
        return out;
    }

    /** The per-epoch losses and training accuracy, without timings. */
    static List<String> trainingTrace(Path out) throws IOException {
        List<String> t = new ArrayList<>();
        for (JsonNode r : epochRecords(out.resolve("epochs.jsonl"))) {
            t.add(r.get("phase") + "/" + r.get("stage") + "/" + r.get("epoch") + " " + r.get("losses") + " "
                    + r.get("trainAccuracy"));
        }
        return t;
    }

    static JsonNode results(Path out) throws IOException {
        return JSON.readTree(out.resolve("results.json").toFile());
    }

    static String read(Path log) {
        try {
            String s = Files.readString(log);
            return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
        } catch (IOException e) {
            return "(no log)";
        }
    }
}
