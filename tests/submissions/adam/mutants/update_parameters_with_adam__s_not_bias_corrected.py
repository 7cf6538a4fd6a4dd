"""The Adam optimizer: momentum and RMSprop combined, with bias correction.

The network has ``L`` layers, with parameters ``W1, b1, ..., WL, bL`` and gradients ``dW1, db1, ..., dWL, dbL``.
"""

import numpy as np

# Bug: s_corrected is s itself: the second moment's bias correction is forgotten.


def initialize_adam(parameters):
    """
    Initializes v and s as two python dictionaries with:
                - keys: "dW1", "db1", ..., "dWL", "dbL"
                - values: numpy arrays of zeros of the same shape as the corresponding gradients/parameters.

    Arguments:
    parameters -- python dictionary containing your parameters.
                    parameters["W" + str(l)] = Wl
                    parameters["b" + str(l)] = bl

    Returns:
    v -- python dictionary that will contain the exponentially weighted average of the gradient.
                    v["dW" + str(l)] = ...
                    v["db" + str(l)] = ...
    s -- python dictionary that will contain the exponentially weighted average of the squared gradient.
                    s["dW" + str(l)] = ...
                    s["db" + str(l)] = ...
    """
    L = len(parameters) // 2  # number of layers in the neural network
    v = {}
    s = {}

    # Initialize v, s. Input: "parameters". Outputs: "v, s".
    for l in range(1, L + 1):
        ### START CODE HERE ###
        # zeros shaped like the layer's parameters, for v then for s (≈4 lines)
        v["dW" + str(l)] = np.zeros(parameters["W" + str(l)].shape)
        v["db" + str(l)] = np.zeros(parameters["b" + str(l)].shape)
        s["dW" + str(l)] = np.zeros(parameters["W" + str(l)].shape)
        s["db" + str(l)] = np.zeros(parameters["b" + str(l)].shape)
        ### END CODE HERE ###

    return v, s


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8):
    """
    Update parameters using Adam.

    Arguments:
    parameters -- python dictionary containing your parameters:
                    parameters["W" + str(l)] = Wl
                    parameters["b" + str(l)] = bl
    grads -- python dictionary containing your gradients for each parameter (left unchanged):
                    grads["dW" + str(l)] = dWl
                    grads["db" + str(l)] = dbl
    v -- Adam variable, moving average of the first gradient, python dictionary
    s -- Adam variable, moving average of the squared gradient, python dictionary
    t -- Adam step counter, the number of updates made so far including this one (starts at 1)
    learning_rate -- the learning rate, scalar.
    beta1 -- Exponential decay hyperparameter for the first moment estimates
    beta2 -- Exponential decay hyperparameter for the second moment estimates
    epsilon -- hyperparameter preventing division by zero in Adam updates

    Returns:
    parameters -- python dictionary containing your updated parameters
    v -- Adam variable, moving average of the first gradient, python dictionary
    s -- Adam variable, moving average of the squared gradient, python dictionary
    """
    L = len(parameters) // 2  # number of layers in the neural network
    v_corrected = {}  # Initializing first moment estimate, python dictionary
    s_corrected = {}  # Initializing second moment estimate, python dictionary

    # Perform Adam update on all parameters
    for l in range(1, L + 1):
        ### START CODE HERE ###
        # Moving average of the gradients. Inputs: "v, grads, beta1". Output: "v". (≈2 lines)
        v["dW" + str(l)] = beta1 * v["dW" + str(l)] + (1 - beta1) * grads["dW" + str(l)]
        v["db" + str(l)] = beta1 * v["db" + str(l)] + (1 - beta1) * grads["db" + str(l)]
        # Compute bias-corrected first moment estimate. Inputs: "v, beta1, t". Output: "v_corrected". (≈2 lines)
        v_corrected["dW" + str(l)] = v["dW" + str(l)] / (1 - beta1**t)
        v_corrected["db" + str(l)] = v["db" + str(l)] / (1 - beta1**t)
        # Moving average of the squared gradients. Inputs: "s, grads, beta2". Output: "s". (≈2 lines)
        s["dW" + str(l)] = beta2 * s["dW" + str(l)] + (1 - beta2) * grads["dW" + str(l)] ** 2
        s["db" + str(l)] = beta2 * s["db" + str(l)] + (1 - beta2) * grads["db" + str(l)] ** 2
        # Compute bias-corrected second raw moment estimate. Inputs: "s, beta2, t". Output: "s_corrected". (≈2 lines)
        s_corrected["dW" + str(l)] = s["dW" + str(l)]
        s_corrected["db" + str(l)] = s["db" + str(l)]
        # Update parameters. Inputs: "parameters, learning_rate, v_corrected, s_corrected, epsilon".
        # Output: "parameters". (≈2 lines)
        parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * v_corrected["dW" + str(l)] / (
            np.sqrt(s_corrected["dW" + str(l)]) + epsilon
        )
        parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * v_corrected["db" + str(l)] / (
            np.sqrt(s_corrected["db" + str(l)]) + epsilon
        )
        ### END CODE HERE ###

    return parameters, v, s
