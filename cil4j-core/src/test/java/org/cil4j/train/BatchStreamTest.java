package org.cil4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.cil4j.data.ImageDataset;
import org.junit.jupiter.api.Test;

class BatchStreamTest {
    private static ImageDataset ramp(int n) {
        byte[] px = new byte[n * 2 * 4 * 4];
        int[] y = new int[n];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i % 251);
        }
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
        }
        return new ImageDataset("ramp", px, y, 1, 8, 4, List.of("a", "b", "c"));
    }

    private static List<HostBatch> drain(Iterator<HostBatch> it) {
        List<HostBatch> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    @Test
    void normalizesWithTheGivenStatistics() {
        ImageDataset d = ramp(3);
        Normalization n = new Normalization(new float[] {0.5f}, new float[] {0.25f});
        HostBatch b = new BatchStream(d, n, Augment.NONE, 8).make(new int[] {1}, new SplittableRandom(1), Augment.NONE);
        int v = d.pixels()[32 + 5] & 0xff;
        assertEquals((v / 255f - 0.5f) / 0.25f, b.pixels()[5], 1e-5f);
        assertEquals(d.label(1), b.labels()[0]);
    }

    @Test
    void flipMirrorsRowsAndPaddedCropShiftsWithZeros() {
        ImageDataset d = ramp(1);
        Normalization id = new Normalization(new float[] {0f}, new float[] {1f / 255f});
        BatchStream s = new BatchStream(d, id, Augment.NONE, 1);
        Augment flipOnly = new Augment(false, 0, true);
        // find a draw that flips
        HostBatch plain = s.make(new int[] {0}, new SplittableRandom(0), Augment.NONE);
        HostBatch flipped = null;
        for (long seed = 0; seed < 20 && flipped == null; seed++) {
            HostBatch b = s.make(new int[] {0}, new SplittableRandom(seed), flipOnly);
            if (b.pixels()[0] != plain.pixels()[0]) {
                flipped = b;
            }
        }
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 4; x++) {
                assertEquals(plain.pixels()[y * 4 + x], flipped.pixels()[y * 4 + 3 - x], 1e-4f);
            }
        }
        // a crop of a 1-pixel-padded image: every output pixel is either a source pixel or 0
        Augment crop = new Augment(true, 1, false);
        HostBatch c = s.make(new int[] {0}, new SplittableRandom(3), crop);
        List<Float> src = new ArrayList<>();
        for (float f : plain.pixels()) {
            src.add(f);
        }
        for (float f : c.pixels()) {
            assertEquals(true, f == 0f || src.contains(f));
        }
    }

    @Test
    void epochsAreDeterministicUnderTheSeedAndDifferAcrossSeeds() {
        ImageDataset d = ramp(37);
        Normalization n = Normalization.of(d);
        BatchStream s = new BatchStream(d, n, Augment.CIFAR, 8);
        List<HostBatch> a = drain(s.epoch(5));
        List<HostBatch> b = drain(s.epoch(5));
        List<HostBatch> c = drain(s.epoch(6));
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).pixels(), b.get(i).pixels());
            assertArrayEquals(a.get(i).indices(), b.get(i).indices());
        }
        assertNotEquals(
                java.util.Arrays.toString(a.get(0).indices()),
                java.util.Arrays.toString(c.get(0).indices()));
        // 37 = 4 * 8 + 5: five batches, every sample once
        assertEquals(5, a.size());
        assertEquals(37, a.stream().mapToInt(HostBatch::size).sum());
    }

    @Test
    void aTrailingBatchOfOneIsDropped() {
        ImageDataset d = ramp(17);
        List<HostBatch> a = drain(new BatchStream(d, Normalization.of(d), Augment.NONE, 8).epoch(1));
        assertEquals(2, a.size());
        assertEquals(16, a.stream().mapToInt(HostBatch::size).sum());
    }

    @Test
    void cyclingCoversEverySampleOncePerPassAndReshufflesEachPass() {
        int size = 7;
        int[] draws = BatchStream.cycle(size, 0, 5 * size, 11);
        List<String> passes = new ArrayList<>();
        for (int p = 0; p < 5; p++) {
            int[] pass = java.util.Arrays.copyOfRange(draws, p * size, (p + 1) * size);
            passes.add(java.util.Arrays.toString(pass));
            int[] sorted = pass.clone();
            java.util.Arrays.sort(sorted);
            assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6}, sorted, "pass " + p + ": " + passes.get(p));
        }
        assertEquals(5, passes.stream().distinct().count(), "each pass its own order: " + passes);
        // any window of the sequence is the same draws, whatever the batching: batches of 3
        // (straddling passes) and one batch larger than the data (several passes in it)
        for (int from = 0; from + 3 <= draws.length; from += 3) {
            assertArrayEquals(
                    java.util.Arrays.copyOfRange(draws, from, from + 3), BatchStream.cycle(size, from, 3, 11));
        }
        assertArrayEquals(java.util.Arrays.copyOfRange(draws, 4, 4 + 20), BatchStream.cycle(size, 4, 20, 11));
        assertNotEquals(
                java.util.Arrays.toString(draws), java.util.Arrays.toString(BatchStream.cycle(size, 0, 5 * size, 12)));
        assertArrayEquals(new int[] {0, 0, 0}, BatchStream.cycle(1, 9, 3, 11));
    }
}
