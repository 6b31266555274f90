package org.cil4j.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A two-part sequence run end to end through the dataset registry: Fashion-MNIST classes 0-1
 * (T-shirt, Trouser) as task 1, then Fashion-MNIST classes 2-3 (Pullover, Dress) as task 2,
 * each part loaded on its own and converted to three channels, LwF in the multi-task setting,
 * 50 train / 20 test images per class, the small CNN, three epochs (enough to learn each pair).
 */
class DataSequenceEndToEndTest {
    @Test
    void aTwoPartSequenceRunsAsTwoTasks(@TempDir Path dir) {
        String json = """
                {"name": "seq", "seed": 1993, "threads": 2,
                 "data": {"rgb": true, "sequence": [
                    {"dataset": "fashion-mnist", "classes": [0, 1]},
                    {"dataset": "fashion-mnist", "classes": [2, 3]}]},
                 "scenario": {"setting": "multi-task", "trainPerClass": 50, "testPerClass": 20},
                 "model": {"arch": "small-cnn"},
                 "train": {"epochs": 3, "batchSize": 32, "lr": 0.05},
                 "method": {"name": "lwf"}}
                """;
        ExperimentConfig cfg = ConfigLoader.bind(
                (com.fasterxml.jackson.databind.node.ObjectNode) ConfigLoader.MAPPER.valueToTree(read(json)), "test");
        RunResult r = new Experiment(cfg).output(dir.resolve("run")).run();
        assertTrue(r.complete());
        assertArrayEquals(new int[] {2, 2}, r.scenario().phaseSizes());
        assertArrayEquals(new int[] {0, 1, 2, 3}, r.scenario().order());
        assertEquals(
                List.of(
                        "fashion-mnist/T-shirt/top",
                        "fashion-mnist/Trouser",
                        "fashion-mnist/Pullover",
                        "fashion-mnist/Dress"),
                r.scenario().classNames());
        // one phase per part, each training on its own part's two classes
        assertEquals(2, r.phases().size());
        for (int p = 0; p < 2; p++) {
            PhaseResult ph = r.phases().get(p);
            assertEquals(2, ph.classes(), "phase " + p);
            assertEquals(2 * (p + 1), ph.seen(), "phase " + p);
            assertEquals(2 * 50, ph.trainSamples(), "phase " + p + ": 50 images of each of its part's classes");
        }
        // each part's classes are learned, by its own head, well above chance (50%) when that part
        // is trained: images paired with another part's or another class's labels would not be
        assertEquals(2, r.taskAware().phases());
        String matrix = java.util.Arrays.deepToString(r.taskAware().accuracy());
        for (int j = 0; j < 2; j++) {
            double acc = r.taskAware().get(j, j);
            assertTrue(acc >= 75, "part " + (j + 1) + " right after it is learned: " + acc + "% task-aware; " + matrix);
        }
        ExperimentConfig saved = ConfigLoader.bind(Experiment.savedConfig(dir.resolve("run")), "saved");
        assertEquals(cfg, saved, "the saved config reads back as the run's config");
    }

    private static com.fasterxml.jackson.databind.JsonNode read(String json) {
        try {
            return ConfigLoader.MAPPER.readTree(json);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
