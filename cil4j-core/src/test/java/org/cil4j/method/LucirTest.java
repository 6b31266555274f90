package org.cil4j.method;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.cil4j.CilException;
import org.cil4j.data.ImageDataset;
import org.cil4j.model.IncrementalNet;
import org.cil4j.model.ModelConfig;
import org.cil4j.scenario.Scenario;
import org.cil4j.train.Augment;
import org.cil4j.train.EpochRecord;
import org.cil4j.train.Normalization;
import org.cil4j.train.TrainConfig;
import org.cil4j.train.TrainListener;
import org.cil4j.train.Trainer;
import org.junit.jupiter.api.Test;

/** LUCIR's incremental phase on a tiny synthetic problem: what must and must not change. */
class LucirTest {
    private static final int SIDE = 8;

    /** Four classes, 12 images each, a class-dependent bright square on noise. */
    private static ImageDataset data() {
        int n = 48;
        byte[] px = new byte[n * SIDE * SIDE];
        int[] labels = new int[n];
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < n; i++) {
            labels[i] = i / 12;
            for (int j = 0; j < SIDE * SIDE; j++) {
                int r = j / SIDE;
                int c = j % SIDE;
                boolean on = r / 4 == labels[i] / 2 && c / 4 == labels[i] % 2;
                px[i * SIDE * SIDE + j] = (byte) ((on ? 180 : 0) + rnd.nextInt(60));
            }
        }
        return new ImageDataset("synthetic", px, labels, 1, SIDE, SIDE, List.of("a", "b", "c", "d"));
    }

    private static Lucir.Params params(boolean balancedFinetune) {
        return params(true, balancedFinetune);
    }

    private static Lucir.Params params(boolean lessForget, boolean balancedFinetune) {
        return TestParams.bind(
                Lucir.Params.class,
                "{\"memoryPerClass\": 4, \"lessForget\": " + lessForget + ", \"balancedFinetune\": " + balancedFinetune
                        + "}");
    }

    /** What a test does in the incremental phase. */
    private interface IncrementalPhase {
        void run(Lucir lucir, IncrementalNet net, PhaseContext inc, List<EpochRecord> log);
    }

    /**
     * Trains the base phase of two classes on a cosine network, adds the second head, and hands
     * the incremental phase, not yet trained, to {@code body}.
     */
    private static void inIncrementalPhase(Lucir.Params params, IncrementalPhase body) {
        ImageDataset train = data();
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet net =
                        IncrementalNet.create(new ModelConfig("small-cnn", false, "cosine"), 1, SIDE, 3, root);
                Lucir lucir = new Lucir(params)) {
            List<EpochRecord> log = new ArrayList<>();
            body.run(lucir, net, afterBasePhase(lucir, net, train, root, log), log);
        }
    }

    private static PhaseContext afterBasePhase(
            Lucir lucir, IncrementalNet net, ImageDataset train, NDManager root, List<EpochRecord> log) {
        Scenario scenario = new Scenario(new int[] {0, 1, 2, 3}, new int[] {2, 2}, false, train.classNames());
        TrainConfig recipe = TrainConfig.of(2, 8, 0.05, null, null, null, null, Augment.NONE, 16);
        Trainer trainer = new Trainer(root, Normalization.of(train), 0.9, 3, TrainListener.NONE);
        net.addHead(2);
        PhaseContext base = new PhaseContext(0, scenario, net, train, recipe, trainer, root, 3, log);
        lucir.train(base);
        lucir.afterPhase(base);
        net.addHead(2);
        return new PhaseContext(1, scenario, net, train, recipe, trainer, root, 3, log);
    }

    @Test
    void oldHeadsStayBitForBitFrozenInAnIncrementalPhase() {
        inIncrementalPhase(params(false), (lucir, net, inc, log) -> {
            assertEquals(2, lucir.classMeans().length);
            float[] head0 = net.headWeight(0).toFloatArray();
            float[] backbone = net.params().params().get("backbone.fc.weight").toFloatArray();
            float[] head1Random = net.headWeight(1).toFloatArray();
            int paramArrays =
                    ((BaseNDManager) net.params().manager()).getManagedArrays().size();
            Lucir.imprint(inc);
            float[] imprinted = net.headWeight(1).toFloatArray();
            double oldNorm = (norm(head0, 0, 256) + norm(head0, 256, 512)) / 2;
            assertEquals(oldNorm, norm(imprinted, 0, 256), 1e-4, "imprinted rows take the old rows' mean norm");
            assertEquals(oldNorm, norm(imprinted, 256, 512), 1e-4);
            lucir.train(inc);

            assertArrayEquals(head0, net.headWeight(0).toFloatArray(), 0f, "old-class weights must not move");
            assertFalse(
                    Arrays.equals(
                            backbone,
                            net.params().params().get("backbone.fc.weight").toFloatArray()),
                    "the backbone trains");
            assertFalse(Arrays.equals(head1Random, net.headWeight(1).toFloatArray()), "the new head trains");
            assertEquals(
                    paramArrays,
                    ((BaseNDManager) net.params().manager()).getManagedArrays().size(),
                    "training steps must not leave arrays in the parameters' manager");
            EpochRecord last = log.get(log.size() - 1);
            assertTrue(
                    last.losses().containsKey("less_forget") && last.losses().containsKey("margin_ranking"),
                    "all loss terms are logged: " + last.losses());
            assertFalse(last.losses().containsKey("distillation"), "the scores are distilled only without less-forget");

            lucir.afterPhase(inc);
            assertEquals(4, lucir.classMeans().length);
            assertEquals(16, (int) lucir.memoryReport().get("samples"));
        });
    }

    @Test
    void withoutLessForgetTheOldHeadsTrainAndTheirScoresAreDistilled() {
        inIncrementalPhase(params(false, false), (lucir, net, inc, log) -> {
            float[] head0 = net.headWeight(0).toFloatArray();
            lucir.train(inc);
            assertFalse(Arrays.equals(head0, net.headWeight(0).toFloatArray()), "the old-class weights train (CN row)");
            EpochRecord last = log.get(log.size() - 1);
            assertEquals(
                    Set.of("ce", "distillation", "margin_ranking"),
                    last.losses().keySet());
            assertTrue(
                    last.losses().get("distillation") > 0, "the scores drift from the old model's: " + last.losses());
        });
    }

    @Test
    void balancedFinetuningTrainsTheClassWeightsOnlyAndHalvesTheSchedule() {
        inIncrementalPhase(params(true), (lucir, net, inc, log) -> {
            lucir.train(inc);
            float[] head0 = net.headWeight(0).toFloatArray();
            float[] head1 = net.headWeight(1).toFloatArray();
            float sigma = net.sigma().getFloat();
            float[] backbone = net.params().params().get("backbone.fc.weight").toFloatArray();
            int before = log.size();
            lucir.afterPhase(inc);

            List<EpochRecord> ft = log.subList(before, log.size());
            assertEquals(2, ft.size(), "two epochs of finetuning by default");
            assertTrue(ft.stream().allMatch(r -> r.stage().equals("balanced-finetune")));
            // the released code's 20 epochs at 0.01, times 0.1 after 10: here 2 epochs, after 1
            assertEquals(0.01, ft.get(0).lr(), 1e-12);
            assertEquals(0.001, ft.get(1).lr(), 1e-12);
            assertEquals(
                    Set.of("ce", "margin_ranking"), ft.get(0).losses().keySet(), "the margin ranking loss is kept");
            assertFalse(Arrays.equals(head0, net.headWeight(0).toFloatArray()), "old-class weights train");
            assertFalse(Arrays.equals(head1, net.headWeight(1).toFloatArray()), "new-class weights train");
            assertEquals(sigma, net.sigma().getFloat(), 0f, "sigma stays as training left it");
            assertArrayEquals(
                    backbone,
                    net.params().params().get("backbone.fc.weight").toFloatArray(),
                    0f,
                    "the backbone stays frozen");
        });
    }

    @Test
    void theFinetuneScheduleDecaysHalfwayUnlessGiven() {
        assertEquals(List.of(1), params(true).finetuneMilestones());
        Lucir.Params release = TestParams.bind(Lucir.Params.class, "{\"finetuneEpochs\": 20}");
        assertEquals(List.of(10), release.finetuneMilestones());
        Lucir.Params one = TestParams.bind(Lucir.Params.class, "{\"finetuneEpochs\": 1}");
        assertEquals(List.of(), one.finetuneMilestones());
        Lucir.Params none = TestParams.bind(Lucir.Params.class, "{\"finetuneEpochs\": 2, \"finetuneMilestones\": []}");
        assertEquals(List.of(), none.finetuneMilestones());
        CilException e = assertThrows(
                CilException.class,
                () -> TestParams.bind(Lucir.Params.class, "{\"finetuneEpochs\": 2, \"finetuneMilestones\": [0]}"));
        assertTrue(e.getMessage().contains("finetuneMilestones"), e.getMessage());
    }

    private static double norm(float[] v, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += (double) v[i] * v[i];
        }
        return Math.sqrt(s);
    }

    @Test
    void theMethodNamesTheModelOptionItNeeds() {
        ImageDataset train = data();
        Scenario scenario = new Scenario(new int[] {0, 1, 2, 3}, new int[] {2, 2}, false, train.classNames());
        TrainConfig recipe = TrainConfig.of(1, 8, 0.05, null, null, null, null, Augment.NONE, 16);
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet linear =
                        IncrementalNet.create(new ModelConfig("small-cnn", false, "linear"), 1, SIDE, 3, root);
                IncrementalNet relu =
                        IncrementalNet.create(new ModelConfig("small-cnn", true, "cosine"), 1, SIDE, 3, root)) {
            Trainer trainer = new Trainer(root, Normalization.of(train), 0.9, 3, TrainListener.NONE);
            linear.addHead(2);
            relu.addHead(2);
            CilException a = assertThrows(
                    CilException.class,
                    () -> new Lucir(params(true))
                            .train(new PhaseContext(
                                    0, scenario, linear, train, recipe, trainer, root, 3, new ArrayList<>())));
            assertTrue(a.getMessage().contains("model.classifier"), a.getMessage());
            CilException b = assertThrows(
                    CilException.class,
                    () -> new Lucir(params(true))
                            .train(new PhaseContext(
                                    0, scenario, relu, train, recipe, trainer, root, 3, new ArrayList<>())));
            assertTrue(b.getMessage().contains("model.lastRelu"), b.getMessage());
            // the ablation without cosine normalization takes the linear model, and refuses the cosine one
            Lucir.Params noCn =
                    TestParams.bind(Lucir.Params.class, "{\"cosineNormalization\": false, \"memoryPerClass\": 4}");
            new Lucir(noCn)
                    .train(new PhaseContext(0, scenario, linear, train, recipe, trainer, root, 3, new ArrayList<>()));
            CilException c = assertThrows(
                    CilException.class,
                    () -> new Lucir(noCn)
                            .train(new PhaseContext(
                                    0, scenario, relu, train, recipe, trainer, root, 3, new ArrayList<>())));
            assertTrue(c.getMessage().contains("model.classifier = linear"), c.getMessage());
        }
    }

    @Test
    void oldHeadsAreRecognizedByName() {
        assertTrue(Lucir.isOldHead("head.0.weight", 2));
        assertTrue(Lucir.isOldHead("head.1.weight", 2));
        assertFalse(Lucir.isOldHead("head.2.weight", 2));
        assertFalse(Lucir.isOldHead("sigma", 2));
        assertFalse(Lucir.isOldHead("head.10.weight", 2));
    }
}
