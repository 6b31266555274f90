package org.cil4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Native memory does not grow across phases: eight short iCaRL phases (an old model, exemplars,
 * a checkpoint every epoch) in a child JVM whose Java heap is fixed and touched up front, so the
 * resident size measures what the engine and our tensors hold. Run under glibc's malloc with no
 * allocator settings in the environment (a fresh machine, or a library user's own JVM: what
 * {@link org.cil4j.engine.NativeMemory} sets in-process must hold it), and under tcmalloc where
 * the machine has it (what {@code ./cil} preloads).
 */
class BoundedMemoryTest {
    /**
     * Measured series (MiB after each phase) vary between runs with the allocator's reuse of
     * freed pages. With tcmalloc e.g. [546, 588, 608, 609, 609, 610, 610, 610], [538, 551, 551,
     * 556, 583, 601, 553, 553] and [543, 557, 606, 607, 632, 637, 650, 659]: steps of 20-50 MiB
     * that come and go, no steady growth. With glibc and its mmap threshold fixed [496, 499, 501,
     * 495, 495, 490, 497, 492]; with glibc's dynamic threshold (before NativeMemory) it crept
     * [549, 545, 606, 606, 606, 656, 670, 694]. A leak of one network or one dataset copy per
     * phase would add that much every phase.
     */
    static final long MARGIN_MB = 64;

    @ParameterizedTest
    @EnumSource(
            value = ChildRun.Allocator.class,
            names = {"GLIBC", "TCMALLOC"})
    void residentMemoryAfterTheLastOfEightPhasesStaysNearThatAfterTheSecond(
            ChildRun.Allocator allocator, @TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(
                allocator != ChildRun.Allocator.TCMALLOC || java.nio.file.Files.exists(ChildRun.TCMALLOC),
                "this machine has no tcmalloc (Debian: libtcmalloc-minimal4)");
        Path out = tmp.resolve("run");
        Process p = ChildRun.start(
                tmp.resolve("log"),
                List.of(
                        "-Xms256m",
                        "-Xmx256m",
                        "-XX:+AlwaysPreTouch",
                        "-Dorg.slf4j.simpleLogger.log.org.cil4j.experiment.Experiment=debug"),
                allocator,
                "run",
                "--dataset",
                "fashion-mnist",
                "--method",
                "icarl",
                "--base",
                "3",
                "--increment",
                "1",
                "--epochs",
                "1",
                "--device",
                "cpu",
                "--threads",
                "1",
                "--quiet",
                "--out",
                out.toString(),
                "--set",
                "scenario.trainPerClass=60",
                "--set",
                "scenario.testPerClass=50",
                "--set",
                "model.arch=small-cnn",
                "--set",
                "train.batchSize=32",
                "--set",
                "train.lr=0.02");
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "finished in 120 s");
        assertTrue(p.exitValue() == 0, ChildRun.read(tmp.resolve("log")));
        JsonNode phases = ChildRun.results(out).get("phases");
        List<Long> rss = new ArrayList<>();
        List<Long> peak = new ArrayList<>();
        for (JsonNode ph : phases) {
            rss.add(ph.get("rssMb").asLong());
            peak.add(ph.get("peakRssMb").asLong());
        }
        System.out.println(allocator + ": resident MiB after each phase: " + rss + "; peak per phase: " + peak);
        assertTrue(rss.size() == 8 && rss.get(1) > 0, rss.toString());
        // the exact check: the only tensors that outlive a phase are the network's and the old
        // model's, which grow by one head (weight and bias) each per phase
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("after phase (\\d+): (\\d+) native arrays alive")
                .matcher(ChildRun.read(tmp.resolve("log")));
        List<Integer> alive = new ArrayList<>();
        while (m.find()) {
            alive.add(Integer.parseInt(m.group(2)));
        }
        assertEquals(8, alive.size(), "one debug line per phase: " + alive);
        assertEquals(alive.get(1) + 6 * 4, alive.get(7), "live native arrays after each phase: " + alive);
        long warm = Math.max(rss.get(1), rss.get(2));
        assertTrue(
                rss.get(7) <= warm + MARGIN_MB,
                "resident memory grew from " + warm + " MiB after phases 2-3 to " + rss.get(7) + " MiB after phase 8: "
                        + rss);
    }
}
