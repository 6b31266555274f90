/** Exemplar memory of rehearsal methods: choosing, storing and replaying old-class samples. */
package org.cil4j.memory;
