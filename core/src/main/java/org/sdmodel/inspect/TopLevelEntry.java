package org.sdmodel.inspect;

/**
 * An entry of a checkpoint's root beside its state dict: {@code optimizer_states},
 * {@code callbacks}, {@code epoch}... Prune drops every one.
 *
 * @param name its key
 * @param description what it holds ({@code "list of 1 items"}, {@code "int 12345"})
 * @param tensorBytes the bytes of the distinct tensors inside it
 */
public record TopLevelEntry(String name, String description, long tensorBytes) {
}
