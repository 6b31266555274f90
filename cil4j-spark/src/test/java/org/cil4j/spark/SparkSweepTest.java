package org.cil4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.cil4j.experiment.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cil sweep --spark local[2]} against {@code cil sweep}: four cells (two methods, two
 * seeds; three phases of two Fashion-MNIST classes, 40 training images per class, small CNN,
 * one engine thread), the same numbers bit for bit; one cell's JVM is killed with SIGKILL in
 * its second phase, Spark runs the task again and the cell resumes from its checkpoint; a
 * second invocation skips every complete cell.
 */
class SparkSweepTest {
    @TempDir
    Path tmp;

    private static final List<String> CELLS =
            List.of("method-finetune_seed-1", "method-finetune_seed-2", "method-lwf-mc_seed-1", "method-lwf-mc_seed-2");
    private static final String KILLED = "method-finetune_seed-2";
    private static final String BASE = """
                { "name": "tiny", "device": "cpu", "threads": 1,
                  "data": { "dataset": "fashion-mnist" },
                  "scenario": { "base": 2, "increment": 2, "classes": 6, "trainPerClass": 40, "testPerClass": 10 },
                  "model": { "arch": "small-cnn" },
                  "train": { "epochs": 2, "batchSize": 32, "lr": 0.02 },
                  "method": { "name": "finetune" } }
                """;

    @Test
    void aSweepOnSparkEqualsTheSweepHereAndAKilledCellResumes() throws Exception {
        Files.writeString(tmp.resolve("base.json"), BASE);
        Files.writeString(tmp.resolve("sweep.json"), """
                { "base": "base.json", "axes": { "method.name": ["finetune", "lwf-mc"], "seed": [1, 2] } }
                """);
        Path here = tmp.resolve("here");
        Path spark = tmp.resolve("spark");
        long t0 = System.nanoTime();
        String plain = sweep("--out", here.toString());
        long t1 = System.nanoTime();

        // the Spark sweep runs while this thread kills one cell's JVM in its second phase
        CompletableFuture<String> onSpark =
                CompletableFuture.supplyAsync(() -> sweep("--out", spark.toString(), "--spark", "local[2]"));
        ProcessHandle killed = killInSecondPhase(spark.resolve(KILLED), onSpark);
        String log = onSpark.get(5, TimeUnit.MINUTES);
        long t2 = System.nanoTime();
        System.out.printf(
                "sweep of 4 cells: %.1f s here, %.1f s on Spark local[2] (one cell killed and resumed)%n",
                (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        assertTrue(!killed.isAlive(), "the cell's JVM was killed");
        assertTrue(
                log.matches("(?s).*" + KILLED + ": stopped after phase [12] of 3, resuming from its newest checkpoint"
                        + " \\(attempt 1\\).*"),
                "the second attempt resumed: " + log);
        assertTrue(log.contains("sweep: 4 run(s), 0 skipped as complete"), log);
        for (String cell : CELLS) {
            assertEquals(
                    numbers(here.resolve(cell)), numbers(spark.resolve(cell)), cell + ": the same numbers bit for bit");
            assertEquals(
                    epochs(here.resolve(cell)), epochs(spark.resolve(cell)), cell + ": the same epochs, none twice");
        }
        assertTrue(
                plain.contains("| method=lwf-mc | 2 |") && log.contains("| method=lwf-mc | 2 |"),
                "both print the comparison: " + log);

        String again = sweep("--out", spark.toString(), "--spark", "local[2]");
        assertTrue(again.contains("sweep: 0 run(s), 4 skipped as complete"), again);
        System.out.printf("a second Spark sweep that skips all 4 cells: %.1f s%n", (System.nanoTime() - t2) / 1e9);
    }

    @Test
    void aBadMasterIsRefusedNamingTheOption() throws Exception {
        Files.writeString(tmp.resolve("base.json"), BASE);
        Files.writeString(tmp.resolve("sweep.json"), "{ \"base\": \"base.json\", \"out\": \"out\" }");
        Cil.Ran r = Cil.run("sweep", tmp.resolve("sweep.json").toString(), "--spark", "lokal[2]");
        assertEquals(2, r.rc());
        assertTrue(r.log().contains("--spark 'lokal[2]' is not a Spark master URL"), r.log());
    }

    /** Waits for the cell's first epoch of its second phase, then kills the JVM that runs the cell. */
    private static ProcessHandle killInSecondPhase(Path runDir, CompletableFuture<String> sweep) throws Exception {
        Path epochs = runDir.resolve("epochs.jsonl");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline && !sweep.isDone()) {
            if (Files.exists(epochs) && Files.readAllLines(epochs).stream().anyMatch(l -> l.contains("\"phase\":1"))) {
                Optional<ProcessHandle> child = ProcessHandle.current()
                        .descendants()
                        .filter(p -> commandLine(p).contains(runDir.toString()))
                        .findFirst();
                if (child.isPresent()) {
                    child.get().destroyForcibly();
                    child.get().onExit().get(30, TimeUnit.SECONDS);
                    return child.get();
                }
            }
            Thread.sleep(10);
        }
        fail("the cell " + runDir + " never reached its second phase in a JVM of its own; epochs: "
                + (Files.exists(epochs) ? Files.readAllLines(epochs) : "none")
                + (sweep.isDone() ? ": " + sweep.get() : ""));
        return null;
    }

    /** A process's arguments, read from /proc: ProcessHandle.Info leaves out long command lines. */
    private static List<String> commandLine(ProcessHandle p) {
        try {
            return List.of(Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline"))
                    .split("\0"));
        } catch (java.io.IOException e) {
            return List.of(); // it ended
        }
    }

    /** The numbers of a run: accuracy matrices, summary, scenario, config. */
    private static JsonNode numbers(Path runDir) throws Exception {
        ObjectNode r = (ObjectNode)
                ConfigLoader.MAPPER.readTree(runDir.resolve("results.json").toFile());
        assertTrue(r.path("complete").asBoolean(), runDir + " is complete");
        return r.retain("cnn", "nme", "taskAware", "summary", "scenario", "config");
    }

    /** The epoch log without its timings. */
    private static List<JsonNode> epochs(Path runDir) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(runDir.resolve("epochs.jsonl"))) {
            out.add(((ObjectNode) ConfigLoader.MAPPER.readTree(l)).without(List.of("imagesPerSecond", "seconds")));
        }
        return out;
    }

    private String sweep(String... more) {
        List<String> args =
                new ArrayList<>(List.of("sweep", tmp.resolve("sweep.json").toString()));
        args.addAll(List.of(more));
        Cil.Ran r = Cil.run(args.toArray(String[]::new));
        assertEquals(0, r.rc(), r.log());
        return r.log();
    }
}
