package org.cil4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.cil4j.experiment.ExperimentConfig;
import org.cil4j.experiment.Methods;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** How {@code cil run}'s flags combine with a config file. */
class RunCommandTest {
    private static ExperimentConfig resolve(String... args) {
        RunCommand cmd = new RunCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.resolve();
    }

    @Test
    void anotherMethodOnTheCommandLineRunsWithItsOwnDefaults() {
        // tin100-32-tasks.json configures LwF's parameters; --method finetune means fine-tuning
        ExperimentConfig cfg = resolve("--config", "../configs/tin100-32-tasks.json", "--method", "finetune");
        assertEquals("finetune", cfg.method().name());
        Methods.create(cfg.method()).close();
    }

    @Test
    void theConfigsOwnMethodKeepsItsParametersAndSetStillApplies() {
        ExperimentConfig same = resolve("--config", "../configs/tin100-32-tasks.json", "--method", "lwf");
        ExperimentConfig file = resolve("--config", "../configs/tin100-32-tasks.json");
        assertEquals(file.method().params(), same.method().params());
        assertTrue(
                file.method().params().has("temperature"),
                file.method().params().toString());
        ExperimentConfig dr = resolve(
                "--config",
                "../configs/tin100-32-tasks.json",
                "--method",
                "dr",
                "--set",
                "method.params.reservedPerClass=7");
        assertEquals("{\"reservedPerClass\":7}", dr.method().params().toString());
    }
}
