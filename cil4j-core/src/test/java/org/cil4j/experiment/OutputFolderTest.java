package org.cil4j.experiment;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cil4j.CilException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Output folder problems are found before any data is loaded or any training starts. */
class OutputFolderTest {
    @TempDir
    Path tmp;

    static ExperimentConfig cfg(String... sets) {
        var tree = ConfigLoader.MAPPER.createObjectNode();
        ConfigLoader.set(tree, "data.dataset=fashion-mnist");
        ConfigLoader.set(tree, "method.name=finetune");
        for (String s : sets) {
            ConfigLoader.set(tree, s);
        }
        return ConfigLoader.bind(tree, "test");
    }

    static Experiment.DataSource noData() {
        return c -> {
            throw new AssertionError("data must not be loaded");
        };
    }

    @Test
    void anUnwritableOutputFolderFailsBeforeTraining() throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        CilException e = assertThrows(
                CilException.class,
                () -> new Experiment(cfg())
                        .output(file.resolve("run"))
                        .dataSource(noData())
                        .run());
        assertTrue(e.getMessage().contains("not writable"), e.getMessage());
    }

    @Test
    void aFolderWithCheckpointsIsNotOverwrittenAndAResumeNeedsASavedConfig() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("run/checkpoints")).getParent();
        CilException e = assertThrows(
                CilException.class,
                () -> new Experiment(cfg()).output(out).dataSource(noData()).run());
        assertTrue(e.getMessage().contains("--resume"), e.getMessage());
        e = assertThrows(
                CilException.class,
                () -> new Experiment(cfg())
                        .output(out)
                        .resume(false)
                        .dataSource(noData())
                        .run());
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
    }

    @Test
    void configChangesAreListedByKeyAndTheCheckpointSectionIsIgnored() {
        var saved = ConfigLoader.MAPPER.valueToTree(cfg("train.lr=0.02"));
        var now = ConfigLoader.MAPPER.valueToTree(cfg("train.lr=0.05", "checkpoint.everyEpochs=4", "seed=7"));
        List<String> changes = Experiment.configChanges(saved, now);
        assertTrue(changes.equals(List.of("seed: 1993 -> 7", "train.lr: 0.02 -> 0.05")), changes.toString());
        assertTrue(Experiment.configChanges(saved, ConfigLoader.MAPPER.valueToTree(cfg("train.lr=0.020")))
                .isEmpty());
    }
}
