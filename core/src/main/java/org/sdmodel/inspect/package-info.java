/**
 * What a model file is: architecture, prediction type, components, EMA, metadata, and what a prune
 * would save ({@link org.sdmodel.inspect.Inspector}), and the official releases sdmodel knows
 * ({@link org.sdmodel.inspect.KnownModels}).
 */
package org.sdmodel.inspect;
