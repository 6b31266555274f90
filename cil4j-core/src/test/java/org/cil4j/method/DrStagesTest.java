package org.cil4j.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.cil4j.data.ImageDataset;
import org.cil4j.engine.Engines;
import org.cil4j.experiment.MethodConfig;
import org.cil4j.experiment.Methods;
import org.cil4j.model.IncrementalNet;
import org.cil4j.model.ModelConfig;
import org.cil4j.scenario.Scenario;
import org.cil4j.train.Augment;
import org.cil4j.train.Normalization;
import org.cil4j.train.ParamGroup;
import org.cil4j.train.Stage;
import org.cil4j.train.TrainConfig;
import org.cil4j.train.TrainListener;
import org.cil4j.train.Trainer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The stages D+R hands the trainer in its second phase, caught before they train: which
 * parameters train at which rate under each {@code lrRegime}, and the reserved batch that goes
 * with the target's batches.
 */
class DrStagesTest {
    private static final double LR = 0.05;
    private static final int BATCH = 8;

    @BeforeAll
    static void engine() {
        Engines.start("cpu", 0);
    }

    /** What a caught stage would train: rate per parameter name, and its secondary data. */
    private record Caught(String name, Map<String, Double> rates, ImageDataset secondary, int secondaryBatchSize) {}

    /**
     * The trainer's rule: a parameter belongs to the first group that selects it; one that no
     * group selects is frozen (absent from the map).
     */
    private static Map<String, Double> rates(Stage st) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String n : st.net().params().params().keySet()) {
            for (ParamGroup g : st.groups()) {
                if (g.select().test(n)) {
                    out.put(n, g.lr());
                    break;
                }
            }
        }
        return out;
    }

    /** Runs phase 1 (not trained) then phase 2 of D+R on 4 synthetic classes; returns phase 2's stages. */
    private static List<Caught> secondPhase(String lrRegime) {
        int n = 40;
        SplittableRandom r = new SplittableRandom(3);
        byte[] px = new byte[n * 16 * 16];
        r.nextBytes(px);
        int[] y = new int[n];
        java.util.Arrays.setAll(y, i -> i % 4);
        List<String> names = List.of("a", "b", "c", "d");
        ImageDataset all = new ImageDataset("synthetic", px, y, 1, 16, 16, names);
        Scenario sc = new Scenario(new int[] {0, 1, 2, 3}, new int[] {2, 2}, true, names);
        TrainConfig cfg = TrainConfig.of(2, BATCH, LR, 0.9, 5e-4, List.of(), 0.1, Augment.NONE, 64);
        List<Caught> caught = new ArrayList<>();
        PhaseContext.StageRunner catcher = (t, st, s, p, i) -> {
            caught.add(new Caught(st.name(), rates(st), st.secondary(), st.secondaryBatchSize()));
            return List.of();
        };
        var params = JsonNodeFactory.instance.objectNode().put("lrRegime", lrRegime);
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet net =
                        IncrementalNet.create(new ModelConfig("small-cnn", true, "linear"), 1, 16, 3, root);
                Dr dr = (Dr) Methods.create(MethodConfig.of("dr-dr", params))) {
            Trainer trainer = new Trainer(root, Normalization.of(all), 0.9, 1, TrainListener.NONE);
            net.addHead(2);
            dr.afterPhase(new PhaseContext(0, sc, net, all, cfg, trainer, root, 1, new ArrayList<>(), catcher));
            net.addHead(2);
            dr.train(new PhaseContext(1, sc, net, all, cfg, trainer, root, 1, new ArrayList<>(), catcher));
            assertEquals(2, caught.size(), "expert and target");
            assertSame(dr.reserved(), caught.get(1).secondary());
        }
        return caught;
    }

    @Test
    void releaseTrainsTheNewHeadAtTheRateAndTheRestAtATenth() {
        List<Caught> st = secondPhase("release");
        Caught expert = st.get(0);
        Caught target = st.get(1);
        assertEquals("expert", expert.name());
        assertEquals("train", target.name());
        for (Caught c : st) {
            assertTrue(
                    c.rates().keySet().stream().anyMatch(k -> k.startsWith("backbone.")),
                    c.rates().toString());
            c.rates()
                    .forEach((k, lr) ->
                            assertEquals(k.startsWith("head.1.") ? LR : LR / 10, lr, 1e-12, c.name() + " " + k));
        }
        // the expert leaves the old head alone; the target distills it, at the backbone's rate
        assertTrue(
                expert.rates().keySet().stream().noneMatch(k -> k.startsWith("head.0.")),
                expert.rates().toString());
        assertTrue(target.rates().containsKey("head.0.weight"), target.rates().toString());
        assertTrue(target.rates().containsKey("head.1.weight"), target.rates().toString());
    }

    @Test
    void uniformTrainsEveryParameterAtTheRateWithAReservedBatchAsLargeAsTheNewOne() {
        List<Caught> st = secondPhase("uniform");
        for (Caught c : st) {
            c.rates().values().forEach(lr -> assertEquals(LR, lr, 1e-12, c.name()));
        }
        assertTrue(st.get(0).rates().keySet().stream().noneMatch(k -> k.startsWith("head.0.")), "expert: no old head");
        assertTrue(st.get(1).rates().containsKey("head.0.weight"), "the target distills the old head");
        // as many reserved samples per step as new ones, the released data layers' 128 + 128
        assertEquals(10, st.get(1).secondary().size(), "5 reserved per class of the first task");
        assertEquals(BATCH, st.get(1).secondaryBatchSize());
        assertEquals(0, st.get(0).secondaryBatchSize(), "the expert sees new images only");
    }
}
