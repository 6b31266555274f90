package org.cil4j.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cil4j.train.EpochRecord;
import org.cil4j.train.TrainListener;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every method survives a crash in the middle of a later phase, and a run stopped by {@code
 * runPhases} can be taken further: both end exactly like the run that went straight through.
 * What a method keeps between phases (the old model, exemplars, reserved samples, class means)
 * must be in its checkpoints; a method that forgot to save it would resume as fine-tuning with
 * no error, which is what LwF and DR once did. Real Fashion-MNIST, three phases of two classes,
 * the small CNN. A run stopped after phase 2 ({@code runPhases}) is taken further twice: once
 * straight to the end (a resume at a phase boundary), once, from a copy, into a crash (an
 * exception thrown from the listener after the last epoch of the last stage of phase 3) and
 * resumed from there, so that resume restores the phase's start state, every earlier stage's
 * weights and the interrupted stage's epoch. Sharing the first two phases keeps the 19 methods'
 * share of the suite's time down.
 */
class EveryMethodResumesTest {
    @TempDir
    Path tmp;

    /** Thrown by the listener to stop a run as a crash would. */
    static final class Crash extends RuntimeException {
        Crash() {
            super("simulated crash");
        }
    }

    private static ObjectNode tree(String method) {
        ObjectNode t = BaseModelTest.tree(
                method, method.startsWith("dr") || method.equals("lwf") ? "multi-task" : "multi-class");
        ConfigLoader.set(t, "scenario.classes=6");
        ConfigLoader.set(t, "scenario.trainPerClass=80");
        ConfigLoader.set(t, "scenario.testPerClass=50");
        switch (method) {
            case "lucir" -> {
                ConfigLoader.set(t, "model.classifier=\"cosine\"");
                ConfigLoader.set(t, "model.lastRelu=false");
                ConfigLoader.set(t, "method.params.finetuneEpochs=2");
                ConfigLoader.set(t, "method.params.memoryPerClass=5");
            }
            case "podnet" -> {
                ConfigLoader.set(t, "model.classifier=\"lsc\"");
                ConfigLoader.set(t, "model.lastRelu=false");
                ConfigLoader.set(t, "method.params.finetuneEpochs=2");
                ConfigLoader.set(t, "method.params.memoryPerClass=5");
            }
            case "icarl" -> ConfigLoader.set(t, "method.params.memoryPerClass=5");
            case "bic" ->
                ConfigLoader.set(t, "method.params.biasEpochs=3"); // the crash lands in the bias layer's stage
            case "dr", "dr-dr", "dr-r" -> ConfigLoader.set(t, "method.params.reservedPerClass=3");
            default -> {}
        }
        return t;
    }

    /**
     * @return every registered method, so that a new one is covered without being listed (the
     *     system property {@code resume.methods}, a comma-separated list, picks some of them for a
     *     targeted run)
     */
    static List<String> methods() {
        List<String> all = Methods.all().stream().map(Methods.Entry::name).toList();
        String only = System.getProperty("resume.methods", "");
        if (only.isBlank()) {
            return all;
        }
        List<String> picked = List.of(only.split(","));
        if (!all.containsAll(picked)) {
            throw new IllegalArgumentException("resume.methods names unknown methods: " + picked + "; known: " + all);
        }
        return picked;
    }

    @ParameterizedTest
    @MethodSource("methods")
    void aCrashedAndAnExtendedRunEndLikeTheStraightOne(String method) throws Exception {
        RunResult straight = BaseModelTest.experiment(tree(method))
                .output(tmp.resolve("straight"))
                .run();
        // results.json records every parameter the method ran with, defaults included
        JsonNode recorded = ConfigLoader.MAPPER
                .readTree(tmp.resolve("straight").resolve("results.json").toFile())
                .get("methodParams");
        List<String> keys = new ArrayList<>();
        recorded.fieldNames().forEachRemaining(keys::add);
        assertEquals(
                java.util.Arrays.stream(Methods.entry(method).paramsType().getRecordComponents())
                        .map(java.lang.reflect.RecordComponent::getName)
                        .toList(),
                keys,
                method + ": methodParams in results.json");
        List<String> stages = new ArrayList<>();
        for (String line : Files.readAllLines(tmp.resolve("straight").resolve("epochs.jsonl"))) {
            var n = ConfigLoader.MAPPER.readTree(line);
            if (n.path("phase").asInt() == 2 && !stages.contains(n.path("stage").asText())) {
                stages.add(n.path("stage").asText());
            }
        }
        String lastStage = stages.get(stages.size() - 1);

        // stopped after phase 2 by runPhases, then taken further in two ways: straight to the end,
        // and (a copy) into a crash after the last epoch of phase 3's last stage, then resumed
        Path stopped = tmp.resolve("stopped");
        ObjectNode two = tree(method);
        two.put("runPhases", 2);
        BaseModelTest.experiment(two).output(stopped).run();
        Path crashed = tmp.resolve("crashed");
        copyTree(stopped, crashed);

        RunResult extended = BaseModelTest.experiment(tree(method))
                .output(stopped)
                .resume(false)
                .run();
        same(straight, extended, method + " stopped after phase 2 and taken further");

        TrainListener crash = new TrainListener() {
            @Override
            public void onEpoch(EpochRecord r) {
                if (r.phase() == 2 && r.stage().equals(lastStage) && r.epoch() == r.epochs()) {
                    throw new Crash();
                }
            }
        };
        assertThrows(
                Crash.class,
                () -> BaseModelTest.experiment(tree(method))
                        .output(crashed)
                        .listener(crash)
                        .resume(false)
                        .run());
        assertFalse(ConfigLoader.MAPPER
                .readValue(crashed.resolve("results.json").toFile(), RunResult.class)
                .complete());
        RunResult resumed = BaseModelTest.experiment(tree(method))
                .output(crashed)
                .resume(false)
                .run();
        same(straight, resumed, method + " crashed in stage " + lastStage + " of phase 3 and resumed");
        assertEquals(
                Files.readAllLines(tmp.resolve("straight").resolve("epochs.jsonl"))
                        .size(),
                Files.readAllLines(crashed.resolve("epochs.jsonl")).size(),
                "one line per epoch, none twice");

        // killed after the last checkpoint, before the last results write: every phase is
        // checkpointed, results.json is not marked complete; resuming writes the result
        Path results = stopped.resolve("results.json");
        ObjectNode unfinished = (ObjectNode) ConfigLoader.MAPPER.readTree(results.toFile());
        unfinished.put("complete", false);
        ConfigLoader.MAPPER.writeValue(results.toFile(), unfinished);
        RunResult finished = BaseModelTest.experiment(tree(method))
                .output(stopped)
                .resume(false)
                .run();
        same(straight, finished, method + " resumed with every phase checkpointed");
        assertTrue(
                ConfigLoader.MAPPER.readValue(results.toFile(), RunResult.class).complete(), "results.json rewritten");
    }

    /** Copies a run folder, as a user copies a stopped run to try two continuations. */
    private static void copyTree(Path from, Path to) throws java.io.IOException {
        try (var all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Files.copy(p, to.resolve(from.relativize(p).toString()));
            }
        }
    }

    private static void same(RunResult a, RunResult b, String what) throws Exception {
        assertTrue(b.complete(), what);
        assertArrayEquals(a.cnn().accuracy(), b.cnn().accuracy(), what + ": CNN accuracy");
        assertArrayEquals(a.taskAware().accuracy(), b.taskAware().accuracy(), what + ": task-aware accuracy");
        if (a.nme() != null) {
            assertNotNull(b.nme(), what);
            assertArrayEquals(a.nme().accuracy(), b.nme().accuracy(), what + ": NME accuracy");
        }
        for (int p = 0; p < a.phases().size(); p++) {
            assertEquals(
                    ConfigLoader.MAPPER.writeValueAsString(a.phases().get(p).memory()),
                    ConfigLoader.MAPPER.writeValueAsString(b.phases().get(p).memory()),
                    what + ": memory after phase " + (p + 1));
        }
    }
}
