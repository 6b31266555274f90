package org.cil4j.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.cil4j.CilException;
import org.cil4j.method.Lucir;
import org.cil4j.method.Method;
import org.junit.jupiter.api.Test;

/** Every config in the repository binds, and its method builds from its parameters. */
class ConfigFilesTest {
    private static final Path CONFIGS = Path.of("..", "configs");

    @Test
    void everyConfigBindsAndBuildsItsMethod() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(CONFIGS)) {
            files = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertFalse(files.isEmpty());
        for (Path f : files) {
            ExperimentConfig cfg = ConfigLoader.load(f, List.of());
            try (Method m = Methods.create(cfg.method())) {
                assertEquals(cfg.method().name(), m.name(), f.toString());
            }
        }
    }

    @Test
    void theLucirConfigsUseTheModelLucirNeeds() {
        for (String name : List.of("tin100-32-b50-lucir.json", "cifar100-b50.json")) {
            ExperimentConfig cfg = ConfigLoader.load(CONFIGS.resolve(name), List.of());
            assertTrue(cfg.model().cosine() && !cfg.model().lastRelu(), name);
        }
    }

    @Test
    void theCifar100ProtocolRunsNoBalancedFinetuningAsInTheReleasedCode() {
        ExperimentConfig cfg = ConfigLoader.load(CONFIGS.resolve("cifar100-b50.json"), List.of());
        assertFalse(
                Methods.bind("lucir", cfg.method().params(), Lucir.Params.class).balancedFinetune(),
                "the released code finetunes on the balanced memory only in its ImageNet recipe");
    }

    @Test
    void unknownMethodParametersFail() {
        ExperimentConfig cfg =
                ConfigLoader.load(CONFIGS.resolve("tin100-32-b50-lucir.json"), List.of("method.params.lamda=5"));
        CilException e = assertThrows(CilException.class, () -> Methods.create(cfg.method()));
        assertTrue(e.getMessage().contains("lamda"), e.getMessage());
    }
}
