package org.cil4j.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cil4j.CilException;
import org.cil4j.checkpoint.CheckpointStore;
import org.cil4j.testutil.RealData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A first phase trained by one run and loaded by another gives the result the second run would
 * have had by training it, and a base trained differently is refused with the differences.
 * Real Fashion-MNIST, two phases of two classes, the small CNN.
 */
class BaseModelTest {
    @TempDir
    static Path tmp;

    private static Path finetuneRun;

    static ObjectNode tree(String method, String setting) {
        ObjectNode t = ConfigLoader.MAPPER.createObjectNode();
        for (String s : List.of(
                "name=\"t-" + method + "\"",
                "seed=1993",
                "threads=2",
                "data.dataset=fashion-mnist",
                "scenario.setting=\"" + setting + "\"",
                "scenario.order=[6,0,2,4,3,1,5,7,8,9]",
                "scenario.classes=4",
                "scenario.base=2",
                "scenario.increment=2",
                "scenario.trainPerClass=150",
                "scenario.testPerClass=100",
                "model.arch=\"small-cnn\"",
                "train.epochs=2",
                "train.batchSize=32",
                "train.lr=0.02",
                "method.name=\"" + method + "\"")) {
            ConfigLoader.set(t, s);
        }
        return t;
    }

    static Experiment experiment(ObjectNode tree) {
        return new Experiment(ConfigLoader.bind(tree, "test")).dataSource(c -> RealData.fashionMnist());
    }

    private static RunResult finetune;

    @BeforeAll
    static void trainABase() {
        finetuneRun = tmp.resolve("finetune");
        finetune =
                experiment(tree("finetune", "multi-class")).output(finetuneRun).run();
    }

    @Test
    void runPhasesStopsAfterTheFirstPhasesOfTheSameScenario() throws Exception {
        ObjectNode t = tree("finetune", "multi-class");
        t.put("runPhases", 1);
        RunResult first = experiment(t).output(tmp.resolve("first-only")).run();
        assertTrue(first.complete());
        assertEquals(1, first.phases().size());
        assertArrayEquals(finetune.cnn().accuracy()[0], first.cnn().accuracy()[0], "the same first phase, bit for bit");

        // the stopped run is taken further with a resume that raises runPhases (0: all phases)
        Path firstOnly = tmp.resolve("first-only");
        CilException done = assertThrows(
                CilException.class,
                () -> experiment(t).output(firstOnly).resume(false).run());
        assertTrue(
                done.getMessage().contains("nothing to resume (it stopped after runPhases=1; raise runPhases"),
                done.getMessage());
        ObjectNode other = t.deepCopy();
        other.put("runPhases", 0);
        ConfigLoader.set(other, "train.lr=0.05");
        CilException changed = assertThrows(
                CilException.class,
                () -> experiment(other).output(firstOnly).resume(false).run());
        assertTrue(
                changed.getMessage().contains("holds a complete result"),
                "not a run taken further: " + changed.getMessage());
        t.put("runPhases", 0);
        RunResult extended = experiment(t).output(firstOnly).resume(false).run();
        assertTrue(extended.complete());
        assertArrayEquals(finetune.cnn().accuracy(), extended.cnn().accuracy(), "as if it had run every phase at once");
        assertEquals(0, Experiment.savedConfig(firstOnly).path("runPhases").asInt(-1), "config.json says what ran");
        assertEquals(4, Files.readAllLines(firstOnly.resolve("epochs.jsonl")).size(), "2 epochs in each phase");
        t.put("runPhases", 3);
        CilException e = assertThrows(CilException.class, () -> experiment(t).run());
        assertTrue(e.getMessage().contains("runPhases is 3 but the scenario has 2 phases"), e.getMessage());
    }

    @Test
    void aRunFromASharedBaseEqualsTheRunThatTrainedItsOwnFirstPhase() throws Exception {
        assertTrue(Files.isRegularFile(finetuneRun.resolve("base/manifest.json")), "every run keeps its first phase");
        RunResult own = experiment(tree("lwf", "multi-task")).run();
        ObjectNode t = tree("lwf", "multi-task");
        t.put("baseFrom", finetuneRun.toString());
        Path out = tmp.resolve("lwf-from-base");
        RunResult shared = experiment(t).output(out).run();

        // the setting and the method differ from the finetune run, the first phase does not
        assertArrayEquals(own.taskAware().accuracy(), shared.taskAware().accuracy());
        assertArrayEquals(own.cnn().accuracy(), shared.cnn().accuracy());
        byte[] weights = Files.readAllBytes(finetuneRun.resolve("base").resolve(Checkpointing.START));
        assertNotNull(shared.provenance().base());
        assertEquals(CheckpointStore.sha256(weights), shared.provenance().base().sha256());
        assertEquals("finetune", shared.provenance().base().method());
        // no epoch of the first phase was trained
        List<JsonNode> epochs = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("epochs.jsonl"))) {
            epochs.add(ConfigLoader.MAPPER.readTree(line));
        }
        assertTrue(epochs.stream().noneMatch(e -> e.path("phase").asInt() == 0), "phase 1 trained nothing");
        assertEquals(2, epochs.size(), "phase 2 trained its 2 epochs");
        // and the run keeps the same base for the next one
        assertArrayEquals(weights, Files.readAllBytes(out.resolve("base").resolve(Checkpointing.START)));
    }

    @Test
    void aBaseTrainedDifferentlyIsRefusedWithTheDifferences() {
        // iCaRL and LwF-MC as FACIL and PyCIL train them (iCaRL's default variant, pycil) start with
        // cross-entropy: they share fine-tuning's first phase; the paper's sigmoid loss does not
        ObjectNode icarl = tree("icarl", "multi-class");
        BaseModel.open(finetuneRun, icarl, false, s -> {});
        ObjectNode lwfMcPycil = tree("lwf-mc", "multi-class");
        ConfigLoader.set(lwfMcPycil, "method.params.variant=pycil");
        BaseModel.open(finetuneRun, lwfMcPycil, false, s -> {});
        ObjectNode icarlPaper = tree("icarl", "multi-class");
        ConfigLoader.set(icarlPaper, "method.params.variant=paper");
        CilException e =
                assertThrows(CilException.class, () -> BaseModel.open(finetuneRun, icarlPaper, false, s -> {}));
        assertTrue(e.getMessage().contains("method.baseRecipe: \"cross-entropy\" -> \"sigmoid-bce\""), e.getMessage());
        ConfigLoader.set(lwfMcPycil, "method.params.variant=mse");
        e = assertThrows(CilException.class, () -> BaseModel.open(finetuneRun, lwfMcPycil, false, s -> {}));
        assertTrue(e.getMessage().contains("variant must be"), e.getMessage());

        ObjectNode lr = tree("finetune", "multi-class");
        ConfigLoader.set(lr, "train.lr=0.05");
        ConfigLoader.set(lr, "scenario.trainPerClass=100");
        e = assertThrows(CilException.class, () -> BaseModel.open(finetuneRun, lr, false, s -> {}));
        assertTrue(e.getMessage().contains("train.lr: 0.02 -> 0.05"), e.getMessage());
        assertTrue(e.getMessage().contains("scenario.trainPerClass: 150 -> 100"), e.getMessage());

        List<String> warned = new ArrayList<>();
        BaseModel.open(finetuneRun, lr, true, warned::add);
        assertTrue(warned.size() == 1 && warned.get(0).contains("train.lr"), warned.toString());

        // settings that the first phase never reads are free
        ObjectNode later = tree("dr", "multi-task");
        ConfigLoader.set(later, "scenario.increment=1");
        ConfigLoader.set(later, "scenario.testPerClass=50");
        ConfigLoader.set(later, "checkpoint.everyEpochs=0");
        BaseModel.open(finetuneRun, later, false, s -> {});
    }

    @Test
    void aFirstPhaseOfAnotherSizeOrAFolderThatHoldsNoBaseIsRefused() throws Exception {
        ObjectNode bigger = tree("finetune", "multi-class");
        ConfigLoader.set(bigger, "scenario.base=3");
        ConfigLoader.set(bigger, "scenario.increment=1");
        bigger.put("baseFrom", finetuneRun.toString());
        CilException e =
                assertThrows(CilException.class, () -> experiment(bigger).run());
        assertTrue(
                e.getMessage().contains("first phase learned 2 classes, this run's first phase has 3"), e.getMessage());

        e = assertThrows(CilException.class, () -> BaseModel.open(tmp.resolve("nothing"), bigger, false, s -> {}));
        assertTrue(e.getMessage().contains("no such folder"), e.getMessage());
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        e = assertThrows(CilException.class, () -> BaseModel.open(empty, bigger, false, s -> {}));
        assertTrue(e.getMessage().contains("neither a run folder"), e.getMessage());
        Path latest = CheckpointStore.read(new CheckpointStore(finetuneRun.resolve("checkpoints"))
                        .list()
                        .get(0))
                .dir();
        e = assertThrows(CilException.class, () -> BaseModel.open(latest, bigger, false, s -> {}));
        assertTrue(e.getMessage().contains("is not the state after a first phase"), e.getMessage());
    }
}
