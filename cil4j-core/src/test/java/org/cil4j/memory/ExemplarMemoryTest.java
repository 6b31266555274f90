package org.cil4j.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.cil4j.CilException;
import org.cil4j.data.ImageDataset;
import org.junit.jupiter.api.Test;

class ExemplarMemoryTest {
    private static final List<String> NAMES = List.of("a", "b", "c", "d");

    /** {@code n} 2x2 gray images of class {@code cls}; image i has every pixel equal to i. */
    private static ImageDataset images(int cls, int n) {
        byte[] px = new byte[n * 4];
        int[] lb = new int[n];
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(px, i * 4, i * 4 + 4, (byte) i);
            lb[i] = cls;
        }
        return new ImageDataset("d", px, lb, 1, 2, 2, NAMES);
    }

    /** Features whose herding order is known: the PROTOCOLS.md vector, picks 5, 3, 4, 1. */
    private static final float[][] HERDING = {
        {1, 0, 0}, {0.9f, 0.1f, 0}, {0, 1, 0}, {0.5f, 0.5f, 0}, {0.2f, 0.2f, 0.9f}, {0.6f, 0.4f, 0.2f}
    };

    private static int[] firstPixels(ImageDataset d) {
        int[] out = new int[d.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = d.pixels()[i * d.imageSize()];
        }
        return out;
    }

    @Test
    void perClassKeepsTheHerdingPrefixAndNeverShrinks() {
        ExemplarMemory m = new ExemplarMemory(3, 0, ExemplarMemory.Selection.HERDING, 1);
        m.add(0, images(0, 6), HERDING, m.quota(1));
        assertArrayEquals(new int[] {5, 3, 4}, firstPixels(m.exemplars(0)));
        m.add(1, images(1, 6), HERDING, m.quota(2));
        m.shrink(2);
        assertEquals(3, m.quota(4));
        assertArrayEquals(new int[] {3, 3}, (int[]) m.report().get("samplesPerClass"));
        assertArrayEquals(new int[] {1, 1, 1}, m.exemplars(1).labels());
    }

    @Test
    void aBudgetShrinksOldClassesToAPrefixOfTheirRanking() {
        ExemplarMemory m = new ExemplarMemory(0, 4, ExemplarMemory.Selection.HERDING, 1);
        m.add(0, images(0, 6), HERDING, m.quota(1));
        m.shrink(1);
        assertArrayEquals(new int[] {5, 3, 4, 1}, firstPixels(m.exemplars(0)));
        m.add(1, images(1, 6), HERDING, m.quota(2));
        m.shrink(2);
        assertArrayEquals(new int[] {5, 3}, firstPixels(m.exemplars(0)), "the best two of the four");
        assertArrayEquals(new int[] {5, 3}, firstPixels(m.exemplars(1)));
        m.add(2, images(2, 6), HERDING, m.quota(3));
        m.shrink(3);
        assertArrayEquals(new int[] {1, 1, 1}, (int[]) m.report().get("samplesPerClass"));
        assertEquals(3, m.size());
    }

    /**
     * iCaRL's and PyCIL's total of 2000 on CIFAR-100: the quota is floored (PyCIL's {@code
     * memory_size // total_classes}), so the total stays within the budget; FACIL and the
     * released iCaRL code would keep 67 of each of 30 classes, 2010 in all.
     */
    @Test
    void aBudgetOf2000FloorsThePerClassQuota() {
        ExemplarMemory m = new ExemplarMemory(20, 2000, ExemplarMemory.Selection.HERDING, 1);
        assertEquals(1000, m.quota(2));
        assertEquals(666, m.quota(3));
        assertEquals(66, m.quota(30));
        assertEquals(20, m.quota(100));
        assertEquals(1, m.quota(2000));
        CilException e = assertThrows(CilException.class, () -> m.quota(2001));
        assertTrue(e.getMessage().contains("memoryBudget 2000"), e.getMessage());
        assertEquals(
                2000,
                new ExemplarMemory(20, 2000, ExemplarMemory.Selection.RANDOM, 1)
                        .report()
                        .get("budget"));
    }

    @Test
    void randomSelectionIsSeededAndReported() {
        ExemplarMemory a = new ExemplarMemory(3, 0, ExemplarMemory.Selection.RANDOM, 5);
        ExemplarMemory b = new ExemplarMemory(3, 0, ExemplarMemory.Selection.RANDOM, 5);
        ExemplarMemory c = new ExemplarMemory(3, 0, ExemplarMemory.Selection.RANDOM, 6);
        for (ExemplarMemory m : List.of(a, b, c)) {
            m.add(0, images(0, 50), null, 3);
        }
        assertArrayEquals(firstPixels(a.exemplars(0)), firstPixels(b.exemplars(0)));
        assertNotEquals(
                java.util.Arrays.toString(firstPixels(a.exemplars(0))),
                java.util.Arrays.toString(firstPixels(c.exemplars(0))));
        Map<String, Object> r = a.report();
        assertEquals("random", r.get("selection"));
        assertEquals(3, r.get("perClass"));
        assertEquals(3, r.get("samples"));
        assertEquals(3L * (4 + 4), r.get("bytes"), "pixels plus a 4-byte label per sample");
    }

    @Test
    void mixingAppendsExemplarsWithTheirLabels() {
        ExemplarMemory m = new ExemplarMemory(2, 0, ExemplarMemory.Selection.HERDING, 1);
        ImageDataset phase = images(2, 5);
        assertEquals(phase, m.mix(phase), "an empty memory leaves the data alone");
        m.add(0, images(0, 6), HERDING, 2);
        m.add(1, images(1, 6), HERDING, 2);
        ImageDataset mixed = m.mix(phase);
        assertEquals(9, mixed.size());
        assertArrayEquals(new int[] {2, 2, 2, 2, 2, 0, 0, 1, 1}, mixed.labels());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 3, 5, 3}, firstPixels(mixed));
        assertEquals(NAMES, mixed.classNames());
        assertEquals(4, m.dataset().size());
    }

    @Test
    void classMeansAreNormalizedMeansOfNormalizedFeatures() {
        float[] mean = ExemplarMemory.mean(new float[][] {{3, 4}, {0, 2}}, null);
        // (0.6, 0.8) + (0, 1) = (0.6, 1.8), normalized
        assertArrayEquals(new float[] {0.316228f, 0.948683f}, mean, 1e-5f);
        float[] flip = ExemplarMemory.mean(new float[][] {{3, 4}}, new float[][] {{0, 5}});
        assertArrayEquals(new float[] {0.316228f, 0.948683f}, flip, 1e-5f, "each view normalized, then averaged");
    }

    @Test
    void flippingMirrorsEachRow() {
        byte[] px = {1, 2, 3, 4, 5, 6};
        ImageDataset d = new ImageDataset("d", px, new int[] {0}, 1, 2, 3, NAMES);
        assertArrayEquals(
                new byte[] {3, 2, 1, 6, 5, 4}, ExemplarMemory.flipped(d).pixels());
    }

    @Test
    void invalidSizesFail() {
        assertThrows(CilException.class, () -> new ExemplarMemory(0, 0, ExemplarMemory.Selection.HERDING, 1));
        assertThrows(CilException.class, () -> new ExemplarMemory(20, -1, ExemplarMemory.Selection.HERDING, 1));
        assertThrows(CilException.class, () -> ExemplarMemory.Selection.of("best"));
    }
}
