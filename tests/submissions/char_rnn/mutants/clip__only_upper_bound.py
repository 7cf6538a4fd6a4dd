"""Character-level language model: a basic RNN trained on dinosaur names, one name at a time, that samples new ones.

The vocabulary is the newline character (index 0, the end of a name) and the letters 'a'..'z' (1..26). A
training example is one name: ``X = [None] + [char_to_ix[c] for c in name]``, where ``None`` stands for the
zero input vector, and ``Y = X[1:] + [char_to_ix["\\n"]]``. Every vector is a column ``(n, 1)``.
"""

import numpy as np

# Bug: only values above maxValue are clipped, not those below -maxValue.


def softmax(x):
    """Column-wise softmax of ``x``."""
    e = np.exp(x - np.max(x))
    return e / e.sum(axis=0)


def get_initial_loss(vocab_size, seq_length):
    """The loss of a model guessing uniformly, over ``seq_length`` characters: where the smoothed loss starts."""
    return -np.log(1.0 / vocab_size) * seq_length


def smooth(loss, cur_loss):
    """The running average of the loss that training reports."""
    return loss * 0.999 + cur_loss * 0.001


def get_sample(sample_ix, ix_to_char):
    """The name spelled by the indices ``sample_ix``, capitalized, without its newline."""
    txt = "".join(ix_to_char[ix] for ix in sample_ix).strip()
    return txt[:1].upper() + txt[1:]


def initialize_parameters(n_a, n_x, n_y):
    """
    Initialize the parameters with small random values.

    Arguments:
    n_a -- number of units of the hidden state
    n_x -- size of the input vectors (the vocabulary's size)
    n_y -- size of the output vectors (the vocabulary's size)

    Returns:
    parameters -- python dictionary containing:
                        Wax -- weight matrix multiplying the input, numpy array of shape (n_a, n_x)
                        Waa -- weight matrix multiplying the hidden state, numpy array of shape (n_a, n_a)
                        Wya -- weight matrix relating the hidden state to the output, numpy array of shape (n_y, n_a)
                        b -- bias, numpy array of shape (n_a, 1)
                        by -- bias relating the hidden state to the output, numpy array of shape (n_y, 1)
    """
    np.random.seed(1)

    ### START CODE HERE ###
    # Draw Wax, Waa and Wya, in that order, from a standard normal distribution scaled by 0.01 (≈3 lines)
    Wax = np.random.randn(n_a, n_x) * 0.01
    Waa = np.random.randn(n_a, n_a) * 0.01
    Wya = np.random.randn(n_y, n_a) * 0.01
    # Initialize the biases with zeros (≈2 lines)
    b = np.zeros((n_a, 1))
    by = np.zeros((n_y, 1))
    ### END CODE HERE ###

    parameters = {"Wax": Wax, "Waa": Waa, "Wya": Wya, "b": b, "by": by}

    return parameters


def rnn_step_forward(parameters, a_prev, x):
    """
    One forward step of the RNN: the next hidden state and the probabilities of the next character.

    Arguments:
    parameters -- python dictionary containing Wax, Waa, Wya, b, by (see initialize_parameters)
    a_prev -- hidden state of the previous step, numpy array of shape (n_a, 1)
    x -- input of this step (a one-hot vector, or zeros), numpy array of shape (n_x, 1)

    Returns:
    a_next -- next hidden state, of shape (n_a, 1)
    p_t -- probabilities of the next character, of shape (n_y, 1)
    """
    Waa, Wax, Wya, by, b = parameters["Waa"], parameters["Wax"], parameters["Wya"], parameters["by"], parameters["b"]

    ### START CODE HERE ###
    # Compute the next hidden state (≈1 line)
    a_next = np.tanh(np.dot(Wax, x) + np.dot(Waa, a_prev) + b)
    # Compute the probabilities of the next character (≈1 line)
    p_t = softmax(np.dot(Wya, a_next) + by)
    ### END CODE HERE ###

    return a_next, p_t


def rnn_step_backward(dy, gradients, parameters, x, a, a_prev):
    """
    One backward step of the RNN: adds this step's contribution to the gradients, in place.

    Arguments:
    dy -- gradient of the loss with respect to this step's output before the softmax, of shape (n_y, 1)
    gradients -- python dictionary holding the gradients accumulated so far: dWax, dWaa, dWya, db, dby, and
                 da_next, the gradient of the loss with respect to this step's hidden state coming from the steps
                 after it
    parameters -- python dictionary containing Wax, Waa, Wya, b, by
    x -- input of this step, of shape (n_x, 1)
    a -- hidden state of this step, of shape (n_a, 1)
    a_prev -- hidden state of the previous step, of shape (n_a, 1)

    Returns:
    gradients -- the same dictionary, updated: every weight gradient incremented by this step's contribution,
                 and da_next set to the gradient of the loss with respect to a_prev
    """
    ### START CODE HERE ###
    # Gradients of the output layer (≈2 lines)
    gradients["dWya"] += np.dot(dy, a.T)
    gradients["dby"] += dy
    # Gradient of the hidden state: from the output and from the steps after this one (≈1 line)
    da = np.dot(parameters["Wya"].T, dy) + gradients["da_next"]
    # Backpropagate through the tanh (≈1 line)
    daraw = (1 - a * a) * da
    # Gradients of the hidden layer's parameters (≈3 lines)
    gradients["db"] += daraw
    gradients["dWax"] += np.dot(daraw, x.T)
    gradients["dWaa"] += np.dot(daraw, a_prev.T)
    # Gradient of the previous hidden state (≈1 line)
    gradients["da_next"] = np.dot(parameters["Waa"].T, daraw)
    ### END CODE HERE ###

    return gradients


def update_parameters(parameters, gradients, lr):
    """
    Update the parameters, in place, with one step of gradient descent.

    Arguments:
    parameters -- python dictionary containing Wax, Waa, Wya, b, by
    gradients -- python dictionary containing dWax, dWaa, dWya, db, dby
    lr -- learning rate

    Returns:
    parameters -- the same dictionary, its arrays updated in place
    """
    ### START CODE HERE ###
    # Update each of the five parameters in place (≈5 lines)
    parameters["Wax"] -= lr * gradients["dWax"]
    parameters["Waa"] -= lr * gradients["dWaa"]
    parameters["Wya"] -= lr * gradients["dWya"]
    parameters["b"] -= lr * gradients["db"]
    parameters["by"] -= lr * gradients["dby"]
    ### END CODE HERE ###

    return parameters


def rnn_forward(X, Y, a0, parameters, vocab_size=27):
    """
    Forward pass of the RNN over one example, and its cross-entropy loss.

    Arguments:
    X -- list of the input indices, one per time step; None stands for the zero input vector
    Y -- list of the indices of the characters to predict, one per time step
    a0 -- initial hidden state, of shape (n_a, 1)
    parameters -- python dictionary containing Wax, Waa, Wya, b, by
    vocab_size -- size of the vocabulary

    Returns:
    loss -- the cross-entropy loss: the sum over time steps of -log(probability predicted for Y[t])
    cache -- tuple (y_hat, a, x) of dictionaries keyed by time step t: the predicted probabilities (n_y, 1), the
             hidden states (n_a, 1) with a[-1] a copy of a0, and the one-hot inputs (vocab_size, 1)
    """
    x, a, y_hat = {}, {}, {}

    ### START CODE HERE ###
    # The hidden state before the first step: a copy of a0 (≈1 line)
    a[-1] = np.copy(a0)
    ### END CODE HERE ###

    loss = 0

    for t in range(len(X)):
        ### START CODE HERE ###
        # The one-hot input of step t: zeros, with a 1 at X[t] unless X[t] is None (≈3 lines)
        x[t] = np.zeros((vocab_size, 1))
        if X[t] is not None:
            x[t][X[t]] = 1
        # Run one step of the RNN (≈1 line)
        a[t], y_hat[t] = rnn_step_forward(parameters, a[t - 1], x[t])
        # Add this step's cross-entropy to the loss (≈1 line)
        loss -= np.log(y_hat[t][Y[t], 0])
        ### END CODE HERE ###

    cache = (y_hat, a, x)

    return loss, cache


def rnn_backward(X, Y, parameters, cache):
    """
    Backward pass of the RNN over one example (backpropagation through time).

    Arguments:
    X -- list of the input indices (as for rnn_forward)
    Y -- list of the indices of the characters to predict
    parameters -- python dictionary containing Wax, Waa, Wya, b, by
    cache -- tuple (y_hat, a, x) from rnn_forward

    Returns:
    gradients -- python dictionary containing dWax, dWaa, dWya, db, dby (shaped like the parameters) and
                 da_next, the gradient of the loss with respect to a0
    a -- the hidden states from the cache
    """
    (y_hat, a, x) = cache
    Waa, Wax, Wya, by, b = parameters["Waa"], parameters["Wax"], parameters["Wya"], parameters["by"], parameters["b"]

    # Every gradient starts at zero
    gradients = {
        "dWax": np.zeros_like(Wax), "dWaa": np.zeros_like(Waa), "dWya": np.zeros_like(Wya),
        "db": np.zeros_like(b), "dby": np.zeros_like(by), "da_next": np.zeros_like(a[0]),
    }

    ### START CODE HERE ###
    # Backpropagate through time, from the last step to the first: the gradient of the loss with respect to the
    # output before the softmax is y_hat[t] minus the one-hot vector of Y[t], without changing the cache (≈4 lines)
    for t in reversed(range(len(X))):
        dy = np.copy(y_hat[t])
        dy[Y[t]] -= 1
        gradients = rnn_step_backward(dy, gradients, parameters, x[t], a[t], a[t - 1])
    ### END CODE HERE ###

    return gradients, a


def clip(gradients, maxValue):
    """
    Clip the gradients' values between -maxValue and maxValue.

    Arguments:
    gradients -- python dictionary containing the gradients dWaa, dWax, dWya, db, dby
    maxValue -- everything above this number is set to this number, everything below -maxValue to -maxValue

    Returns:
    gradients -- python dictionary of the five clipped gradients
    """
    dWaa, dWax, dWya = gradients["dWaa"], gradients["dWax"], gradients["dWya"]
    db, dby = gradients["db"], gradients["dby"]

    ### START CODE HERE ###
    # Clip each of dWax, dWaa, dWya, db, dby in place: np.clip with its out argument (≈2 lines)
    for gradient in [dWax, dWaa, dWya, db, dby]:
        np.minimum(gradient, maxValue, out=gradient)
    ### END CODE HERE ###

    gradients = {"dWaa": dWaa, "dWax": dWax, "dWya": dWya, "db": db, "dby": dby}

    return gradients


def sample(parameters, char_to_ix, seed):
    """
    Sample a sequence of characters from the probability distributions the RNN outputs.

    Arguments:
    parameters -- python dictionary containing Wax, Waa, Wya, b, by
    char_to_ix -- python dictionary mapping each character to its index
    seed -- seed of the random draws (so that the results are reproducible)

    Returns:
    indices -- list of the sampled characters' indices: up to and including the first newline, and at most 50
               characters followed by a newline
    """
    Waa, Wax, Wya, by, b = parameters["Waa"], parameters["Wax"], parameters["Wya"], parameters["by"], parameters["b"]
    vocab_size = by.shape[0]
    n_a = Waa.shape[1]

    ### START CODE HERE ###
    # The first input is the zero vector, and so is the hidden state before the first step (≈2 lines)
    x = np.zeros((vocab_size, 1))
    a_prev = np.zeros((n_a, 1))
    ### END CODE HERE ###

    # The indices of the sampled characters
    indices = []
    # idx is the index of the last sampled character
    idx = -1
    counter = 0
    newline_character = char_to_ix["\n"]

    # Sample characters until a newline, or 50 characters
    while idx != newline_character and counter != 50:
        ### START CODE HERE ###
        # Forward propagate x (≈3 lines)
        a = np.tanh(np.dot(Wax, x) + np.dot(Waa, a_prev) + b)
        z = np.dot(Wya, a) + by
        y = softmax(z)
        # Seed numpy with counter + seed, then sample the index of a character from the distribution y (≈2 lines)
        np.random.seed(counter + seed)
        idx = np.random.choice(range(len(y)), p=y.ravel())
        # Append the index to indices (≈1 line)
        indices.append(idx)
        # The next input is the one-hot vector of the sampled character (≈2 lines)
        x = np.zeros((vocab_size, 1))
        x[idx] = 1
        # The next step's previous hidden state is this step's (≈1 line)
        a_prev = a
        ### END CODE HERE ###

        seed += 1
        counter += 1

    ### START CODE HERE ###
    # After 50 characters without a newline, end the name with one (≈2 lines)
    if counter == 50:
        indices.append(char_to_ix["\n"])
    ### END CODE HERE ###

    return indices


def optimize(X, Y, a_prev, parameters, learning_rate=0.01):
    """
    One step of the optimization: forward pass, backward pass, gradient clipping, parameter update.

    Arguments:
    X -- list of the input indices (as for rnn_forward)
    Y -- list of the indices of the characters to predict
    a_prev -- hidden state before the first step, of shape (n_a, 1)
    parameters -- python dictionary containing Wax, Waa, Wya, b, by; updated in place
    learning_rate -- learning rate of the model

    Returns:
    loss -- the loss of the forward pass (before the update)
    gradients -- python dictionary of the clipped gradients dWax, dWaa, dWya, db, dby
    a_last -- the hidden state of the last step, of shape (n_a, 1)
    """
    ### START CODE HERE ###
    # Forward propagate through time (≈1 line)
    loss, cache = rnn_forward(X, Y, a_prev, parameters)
    # Backpropagate through time (≈1 line)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    # Clip the gradients between -5 and 5 (≈1 line)
    gradients = clip(gradients, 5)
    # Update the parameters (≈1 line)
    parameters = update_parameters(parameters, gradients, learning_rate)
    # The hidden state of the last step (≈1 line)
    a_last = a[len(X) - 1]
    ### END CODE HERE ###

    return loss, gradients, a_last


def model(data_x, ix_to_char, char_to_ix, num_iterations=35000, n_a=50, dino_names=7, vocab_size=27, verbose=False):
    """
    Train the model on the names of data_x, one name per iteration, and sample names from it as it learns.

    Arguments:
    data_x -- list of the training names, one per line (the lines of the names file)
    ix_to_char -- python dictionary mapping each index to its character
    char_to_ix -- python dictionary mapping each character to its index
    num_iterations -- number of iterations (of examples) to train the model for
    n_a -- number of units of the hidden state
    dino_names -- number of names to sample every 2000 iterations
    vocab_size -- size of the vocabulary
    verbose -- print the smoothed loss and the sampled names every 2000 iterations

    Returns:
    parameters -- the learned parameters
    last_sampled_name -- the last name sampled (as get_sample spells it)
    """
    ### START CODE HERE ###
    # Initialize the parameters (≈1 line)
    parameters = initialize_parameters(n_a, vocab_size, vocab_size)
    # The examples: the names of data_x without surrounding white space, shuffled after seeding numpy with 0
    # (≈3 lines)
    examples = [line.strip() for line in data_x]
    np.random.seed(0)
    np.random.shuffle(examples)
    # The hidden state before the first example: zeros (≈1 line)
    a_prev = np.zeros((n_a, 1))
    ### END CODE HERE ###

    loss = get_initial_loss(vocab_size, dino_names)
    last_sampled_name = ""

    for j in range(num_iterations):
        ### START CODE HERE ###
        # The example of iteration j: cycle through the examples in order (≈2 lines)
        idx = j % len(examples)
        single_example = examples[idx]
        # Its indices, the input X (starting with None) and the labels Y (ending with a newline) (≈3 lines)
        single_example_ix = [char_to_ix[c] for c in single_example]
        X = [None] + single_example_ix
        Y = X[1:] + [char_to_ix["\n"]]
        # One optimization step, learning rate 0.01, carrying the hidden state over to the next example (≈1 line)
        curr_loss, gradients, a_prev = optimize(X, Y, a_prev, parameters, learning_rate=0.01)
        ### END CODE HERE ###

        loss = smooth(loss, curr_loss)

        # Every 2000 iterations, sample dino_names names, with seeds 0, 1, ..., to see how the model is doing
        if j % 2000 == 0:
            if verbose:
                print(f"Iteration: {j}, Loss: {loss:f}\n")
            for seed in range(dino_names):
                sampled_indices = sample(parameters, char_to_ix, seed)
                last_sampled_name = get_sample(sampled_indices, ix_to_char)
                if verbose:
                    print(last_sampled_name)
            if verbose:
                print()

    return parameters, last_sampled_name
