package org.cil4j.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HerdingTest {
    private static final float[][] PROTOCOL = {
        {1, 0, 0}, {0.9f, 0.1f, 0}, {0, 1, 0}, {0.5f, 0.5f, 0}, {0.2f, 0.2f, 0.9f}, {0.6f, 0.4f, 0.2f}
    };

    @Test
    void reproducesProtocolVector() {
        assertArrayEquals(new int[] {5, 3, 4, 1}, Herding.select(PROTOCOL, 4));
    }

    @Test
    void shorterSelectionIsAPrefix() {
        assertArrayEquals(new int[] {5, 3}, Herding.select(PROTOCOL, 2));
        assertArrayEquals(new int[] {5}, Herding.select(PROTOCOL, 1));
        assertArrayEquals(new int[0], Herding.select(PROTOCOL, 0));
    }

    @Test
    void mAtLeastNReturnsAllInHerdingOrder() {
        // numpy: the full herding order of the protocol features
        int[] all = {5, 3, 4, 1, 2, 0};
        assertArrayEquals(all, Herding.select(PROTOCOL, 6));
        assertArrayEquals(all, Herding.select(PROTOCOL, 100));
    }

    @Test
    void matchesNumpyOnAnotherSet() {
        // np.random.default_rng(3).normal(size=(8, 3)).round(2), herded with numpy
        float[][] features = {
            {2.04f, -2.56f, 0.42f}, {-0.57f, -0.45f, -0.22f}, {-2.02f, -0.23f, -0.87f},
            {3.32f, 0.23f, -0.35f}, {-0.28f, -0.67f, -1.06f}, {-0.39f, 0.48f, -0.24f},
            {0.96f, -0.2f, 0.02f}, {1.55f, 0.55f, -0.51f}
        };
        assertArrayEquals(new int[] {4, 3, 2, 6, 5, 0, 1, 7}, Herding.select(features, 8));
    }

    @Test
    void featuresAreNormalizedFirst() {
        float[][] scaled = new float[PROTOCOL.length][];
        for (int i = 0; i < PROTOCOL.length; i++) {
            scaled[i] = PROTOCOL[i].clone();
            for (int d = 0; d < scaled[i].length; d++) {
                scaled[i][d] *= (i + 1) * 3.5f;
            }
        }
        assertArrayEquals(Herding.select(PROTOCOL, 6), Herding.select(scaled, 6));
    }

    @Test
    void tiesGoToTheLowestIndex() {
        float[][] same = {{1, 1}, {2, 2}, {3, 3}};
        assertArrayEquals(new int[] {0, 1, 2}, Herding.select(same, 3));
    }

    @Test
    void returnsDistinctIndices() {
        float[][] features = new float[40][4];
        Random random = new Random(1);
        for (float[] row : features) {
            for (int d = 0; d < row.length; d++) {
                row[d] = (float) random.nextGaussian();
            }
        }
        int[] picks = Herding.select(features, 40);
        int[] sorted = picks.clone();
        Arrays.sort(sorted);
        int[] all = new int[40];
        Arrays.setAll(all, i -> i);
        assertArrayEquals(all, sorted);
    }

    @Test
    void emptyInputAndBadArguments() {
        assertArrayEquals(new int[0], Herding.select(new float[0][], 5));
        assertThrows(IllegalArgumentException.class, () -> Herding.select(PROTOCOL, -1));
        assertThrows(IllegalArgumentException.class, () -> Herding.select(new float[][] {{1, 2}, {1, 2, 3}}, 1));
        assertThrows(IllegalArgumentException.class, () -> Herding.select(new float[][] {{1, Float.NaN}}, 1));
        assertThrows(NullPointerException.class, () -> Herding.select(null, 1));
    }
}
