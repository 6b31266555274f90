package org.cil4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.cil4j.experiment.ConfigLoader;
import org.cil4j.experiment.RunResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real sweep on Fashion-MNIST (two phases of two classes, 100 training images per class,
 * small CNN, one epoch; Debian package dataset-fashion-mnist), run twice: the second
 * invocation skips the complete run and resumes the one marked incomplete from its checkpoint;
 * a third, after its config changed, restarts it from scratch. Variants name their runs.
 */
class SweepCommandTest {
    @TempDir
    Path tmp;

    @Test
    void aSecondInvocationSkipsCompleteRunsAndResumesIncompleteOnes() throws Exception {
        Files.writeString(tmp.resolve("base.json"), """
                { "name": "tiny", "device": "cpu", "threads": 1,
                  "data": { "dataset": "fashion-mnist" },
                  "scenario": { "base": 2, "increment": 2, "classes": 4, "trainPerClass": 100, "testPerClass": 50 },
                  "model": { "arch": "small-cnn" },
                  "train": { "epochs": 1, "batchSize": 32, "lr": 0.02 },
                  "method": { "name": "finetune" } }
                """);
        Files.writeString(tmp.resolve("sweep.json"), """
                { "base": "base.json", "out": "out", "axes": { "method.name": ["finetune"], "seed": [1, 2] } }
                """);
        Path out = tmp.resolve("out");
        String first = sweep();
        Path s1 = out.resolve("method-finetune_seed-1/results.json");
        Path s2 = out.resolve("method-finetune_seed-2/results.json");
        assertTrue(read(s1).complete() && read(s2).complete(), first);
        assertEquals(1, read(s1).config().seed());
        assertEquals("method-finetune_seed-2", read(s2).config().name());
        assertTrue(Files.exists(out.resolve("report/report.html")));
        assertTrue(first.contains("| method-finetune_seed-1 | 2 |"), "one row for the two seeds: " + first);
        assertTrue(first.contains("mean ± sd over seed 1, 2"), first);

        // seed 2 "stopped" after its first phase: complete=false
        ObjectNode tree = (ObjectNode) ConfigLoader.MAPPER.readTree(s2.toFile());
        tree.put("complete", false);
        Files.write(s2, ConfigLoader.MAPPER.writeValueAsBytes(tree));
        FileTime before = Files.getLastModifiedTime(s1);
        String second = sweep();
        assertTrue(second.contains("method-finetune_seed-1: complete, skipped"), second);
        assertTrue(
                second.contains(
                        "method-finetune_seed-2: stopped after phase 2 of 2, resuming from its newest checkpoint"),
                second);
        assertTrue(second.contains("sweep: 1 run(s), 1 skipped as complete"), second);
        assertEquals(before, Files.getLastModifiedTime(s1), "the complete run was not touched");
        assertTrue(read(s2).complete());
        assertEquals(2, Files.readAllLines(s2.resolveSibling("epochs.jsonl")).size(), "nothing was trained again");
        assertFalse(second.contains("incomplete"), second);

        // seed 2 stopped again, and the sweep now trains 2 epochs: its checkpoint no longer fits
        tree.put("complete", false);
        Files.write(s2, ConfigLoader.MAPPER.writeValueAsBytes(tree));
        Files.writeString(tmp.resolve("sweep.json"), """
                { "base": "base.json", "out": "out", "set": ["train.epochs=2"], "axes": { "method.name": ["finetune"], "seed": [2] } }
                """);
        String third = sweep();
        assertTrue(third.contains("its config changed (train.epochs: 1 -> 2), restarting from scratch"), third);
        assertEquals(4, Files.readAllLines(s2.resolveSibling("epochs.jsonl")).size(), "two phases of two epochs");

        // named variants, each a set of overrides, crossed with the axes
        Files.writeString(tmp.resolve("sweep.json"), """
                { "base": "base.json", "out": "out", "axes": { "seed": [2] },
                  "variants": { "ft": ["method.name=finetune"], "fe": ["method.name=feature-extraction"] } }
                """);
        String fourth = sweep();
        assertTrue(fourth.contains("ft_seed-2: running") && fourth.contains("fe_seed-2: running"), fourth);
        assertEquals(
                "feature-extraction",
                read(out.resolve("fe_seed-2/results.json")).config().method().name());

        // a complete run whose config no longer matches is kept, and the sweep says so; a run
        // stopped by runPhases is taken further when the sweep raises it
        Files.writeString(tmp.resolve("sweep.json"), """
                { "base": "base.json", "out": "out", "axes": { "seed": [2] },
                  "variants": { "ft": ["method.name=finetune", "train.lr=0.05"], "one": ["runPhases=1"] } }
                """);
        String fifth = sweep();
        assertTrue(
                fifth.contains("ft_seed-2: complete, skipped (but its config differs from the sweep's: "
                        + "train.lr: 0.02 -> 0.05; delete the folder to run it again)"),
                fifth);
        assertEquals(1, read(out.resolve("one_seed-2/results.json")).phases().size());
        Files.writeString(tmp.resolve("sweep.json"), """
                { "base": "base.json", "out": "out", "axes": { "seed": [2] }, "variants": { "one": ["runPhases=2"] } }
                """);
        String sixth = sweep();
        assertTrue(sixth.contains("one_seed-2: complete after 1 phases, runPhases raised, resuming"), sixth);
        RunResult two = read(out.resolve("one_seed-2/results.json"));
        assertTrue(two.complete() && two.phases().size() == 2, sixth);
        assertArrayEquals(
                read(out.resolve("ft_seed-2/results.json")).cnn().accuracy(),
                two.cnn().accuracy(),
                "the same as the straight run of the same config");
    }

    @Test
    void withoutTheSparkModuleSparkSweepsSayHowToBuildIt() throws Exception {
        Files.writeString(
                tmp.resolve("base.json"),
                "{ \"data\": { \"dataset\": \"fashion-mnist\" }, \"method\": { \"name\": \"finetune\" } }");
        Files.writeString(tmp.resolve("sweep.json"), "{ \"base\": \"base.json\", \"out\": \"out\" }");
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = Main.execute("sweep", tmp.resolve("sweep.json").toString(), "--spark", "local[2]");
        } finally {
            System.setErr(err);
        }
        assertEquals(2, rc);
        assertTrue(
                buf.toString(StandardCharsets.UTF_8)
                        .contains("needs the cil4j-spark module, which is not on the class path:"
                                + " build it with './mvnw -B -DskipTests package -pl cil4j-spark -am'"),
                buf.toString(StandardCharsets.UTF_8));
        assertFalse(Files.exists(tmp.resolve("out")), "nothing ran");
    }

    private String sweep() {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream both = new PrintStream(buf, true, StandardCharsets.UTF_8);
        System.setOut(both);
        System.setErr(both);
        int rc;
        try {
            rc = Main.execute("sweep", tmp.resolve("sweep.json").toString());
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        String log = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, log);
        return log;
    }

    private static RunResult read(Path f) throws Exception {
        return ConfigLoader.MAPPER.readValue(f.toFile(), RunResult.class);
    }
}
