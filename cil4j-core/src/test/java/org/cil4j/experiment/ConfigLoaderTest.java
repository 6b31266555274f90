package org.cil4j.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cil4j.CilException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    static final String BASE = "{\"data\":{\"dataset\":\"fashion-mnist\"},\"method\":{\"name\":\"finetune\"}}";

    private static Path write(Path dir, String json) throws Exception {
        Path f = dir.resolve("c.json");
        Files.writeString(f, json);
        return f;
    }

    @Test
    void defaultsFollowTheProtocolsAndOverridesApply(@TempDir Path dir) throws Exception {
        ExperimentConfig c = ConfigLoader.load(
                write(dir, BASE),
                List.of(
                        "train.epochs=3",
                        "scenario.base=4",
                        "scenario.order=[1,0,2]",
                        "model.arch=small-cnn",
                        "name=x y"));
        assertEquals(3, c.train().epochs());
        assertEquals(128, c.train().batchSize());
        assertEquals(0.9, c.train().momentum());
        assertEquals(5e-4, c.train().weightDecay());
        assertEquals(4, c.scenario().base());
        assertEquals(List.of(1, 0, 2), c.scenario().order());
        assertEquals(1993L, c.scenario().orderSeed());
        assertEquals("small-cnn", c.model().arch());
        assertEquals("x y", c.name());
    }

    @Test
    void unknownKeysFailWithTheirName(@TempDir Path dir) throws Exception {
        Path f = write(dir, BASE);
        CilException e = assertThrows(CilException.class, () -> ConfigLoader.load(f, List.of("train.epoch=3")));
        assertTrue(e.getMessage().contains("train.epoch") || e.getMessage().contains("'epoch'"), e.getMessage());
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        CilException top = assertThrows(CilException.class, () -> ConfigLoader.load(f, List.of("sed=3")));
        assertTrue(top.getMessage().contains("sed"), top.getMessage());
    }

    @Test
    void impossibleValuesAndBrokenFilesAreNamed(@TempDir Path dir) throws Exception {
        Path f = write(dir, BASE);
        assertTrue(assertThrows(CilException.class, () -> ConfigLoader.load(f, List.of("train.epochs=0")))
                .getMessage()
                .contains("train.epochs"));
        assertTrue(assertThrows(CilException.class, () -> ConfigLoader.load(f, List.of("scenario.increment=0")))
                .getMessage()
                .contains("scenario.increment"));
        assertTrue(assertThrows(CilException.class, () -> ConfigLoader.load(f, List.of("train.lr=-1")))
                .getMessage()
                .contains("train.lr"));
        assertTrue(assertThrows(CilException.class, () -> ConfigLoader.load(f, List.of("train.epochs=\"many\"")))
                .getMessage()
                .contains("epochs"));
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"data\": {");
        assertTrue(assertThrows(CilException.class, () -> ConfigLoader.load(broken, List.of()))
                .getMessage()
                .contains("broken.json"));
        assertTrue(assertThrows(CilException.class, () -> ConfigLoader.load(dir.resolve("none.json"), List.of()))
                .getMessage()
                .contains("none.json"));
        assertTrue(assertThrows(
                        CilException.class, () -> ConfigLoader.set(ConfigLoader.MAPPER.createObjectNode(), "novalue"))
                .getMessage()
                .contains("key=value"));
        for (String key : List.of("train.epochs.", ".", "train..epochs", ".train")) {
            assertTrue(
                    assertThrows(
                                    CilException.class,
                                    () -> ConfigLoader.set(ConfigLoader.MAPPER.createObjectNode(), key + "=3"))
                            .getMessage()
                            .contains("empty part"),
                    key);
        }
    }

    @Test
    void aResolvedConfigSurvivesTheResultFile(@TempDir Path dir) throws Exception {
        ExperimentConfig c = ConfigLoader.load(write(dir, BASE), List.of("train.milestones=[2,3]", "method.params={}"));
        String json = ConfigLoader.MAPPER.writeValueAsString(c);
        ExperimentConfig back = ConfigLoader.bind((ObjectNode) ConfigLoader.MAPPER.readTree(json), "round trip");
        assertEquals(c.toString(), back.toString());
    }

    @Test
    void unknownMethodsAndParametersFail() {
        assertTrue(assertThrows(CilException.class, () -> Methods.create(MethodConfig.of("icarl2", null)))
                .getMessage()
                .contains("icarl2"));
        ObjectNode p = ConfigLoader.MAPPER.createObjectNode().put("lr", 1);
        assertTrue(assertThrows(CilException.class, () -> Methods.create(MethodConfig.of("finetune", p)))
                .getMessage()
                .contains("finetune"));
    }
}
