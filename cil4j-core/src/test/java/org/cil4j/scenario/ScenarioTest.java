package org.cil4j.scenario;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.cil4j.CilException;
import org.cil4j.data.ImageDataset;
import org.junit.jupiter.api.Test;

class ScenarioTest {
    private static List<String> names(int n) {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add("c" + i);
        }
        return l;
    }

    private static ScenarioConfig cfg(
            Integer base, Integer inc, List<Integer> phases, List<Integer> order, Integer classes) {
        return ScenarioConfig.of(null, classes, base, inc, phases, order, null, null, null);
    }

    @Test
    void b50inc10HasSixPhasesInTheSeededOrder() {
        Scenario s = Scenario.of(cfg(50, 10, null, null, null), 100, names(100));
        assertArrayEquals(new int[] {50, 10, 10, 10, 10, 10}, s.phaseSizes());
        assertEquals(68, s.order()[0]);
        assertEquals(33, s.order()[99]);
        assertEquals(50, s.start(1));
        assertEquals(70, s.seen(2));
        assertEquals(3, s.phaseOf(75));
        assertEquals("c68", s.classNames().get(0));
    }

    @Test
    void b0inc10AndExplicitPhases() {
        assertArrayEquals(
                new int[] {10, 10, 10, 10, 10, 10, 10, 10, 10, 10},
                Scenario.of(cfg(null, 10, null, null, null), 100, names(100)).phaseSizes());
        Scenario s = Scenario.of(cfg(null, null, List.of(3, 1, 2), List.of(5, 4, 3, 2, 1, 0), null), 6, names(6));
        assertArrayEquals(new int[] {3, 1, 2}, s.phaseSizes());
        assertArrayEquals(new int[] {5, 4, 3, 2, 1, 0}, s.order());
    }

    @Test
    void impossibleSettingsNameTheOption() {
        assertTrue(assertThrows(CilException.class, () -> Scenario.of(cfg(60, 10, null, null, null), 50, names(50)))
                .getMessage()
                .contains("scenario.base"));
        assertTrue(assertThrows(CilException.class, () -> cfg(null, 0, null, null, null))
                .getMessage()
                .contains("scenario.increment"));
        assertTrue(assertThrows(CilException.class, () -> Scenario.of(cfg(50, 7, null, null, null), 100, names(100)))
                .getMessage()
                .contains("scenario.increment"));
        assertTrue(assertThrows(
                        CilException.class, () -> Scenario.of(cfg(null, 2, null, List.of(0, 1, 1), null), 3, names(3)))
                .getMessage()
                .contains("order"));
        assertTrue(assertThrows(CilException.class, () -> Scenario.of(cfg(null, 2, null, null, 20), 10, names(10)))
                .getMessage()
                .contains("scenario.classes"));
        assertTrue(assertThrows(
                        CilException.class,
                        () -> ScenarioConfig.of("multitask", null, null, null, null, null, null, null, null))
                .getMessage()
                .contains("scenario.setting"));
    }

    @Test
    void relabelMapsDatasetLabelsToIncrementalOrderAndSubsamples() {
        int[] labels = {0, 1, 2, 0, 1, 2, 0, 1, 2};
        ImageDataset d = new ImageDataset("d", new byte[9], labels, 1, 1, 1, names(3));
        Scenario s = Scenario.of(cfg(null, null, List.of(2, 1), List.of(2, 0, 1), null), 3, names(3));
        ImageDataset r = s.relabel(d, 0, 1);
        assertArrayEquals(new int[] {0, 0, 0, 1, 1, 1, 2, 2, 2}, r.labels());
        assertEquals(List.of("c2", "c0", "c1"), r.classNames());
        assertEquals(6, s.phaseData(r, 0).size());
        assertEquals(3, s.phaseData(r, 1).size());
        ImageDataset sub = s.relabel(d, 2, 1);
        assertArrayEquals(new int[] {2, 2, 2}, sub.classCounts());
    }

    @Test
    void taskMaskOpensOnlyTheSamplesOwnTask() {
        Scenario s = Scenario.of(cfg(null, null, List.of(2, 2), List.of(0, 1, 2, 3), null), 4, names(4));
        float[] m = s.taskMask(new int[] {1, 3}, 4);
        assertArrayEquals(new float[] {0, 0, -1e9f, -1e9f, -1e9f, -1e9f, 0, 0}, m);
    }
}
