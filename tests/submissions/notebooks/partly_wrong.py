"""Building a recurrent neural network step by step: forward and backward passes of a basic RNN and an LSTM.

Shapes: ``m`` is the batch size, ``T_x`` the number of time steps. Batches are ``(n, m)``, sequences are
``(n, m, T_x)``.
"""

import numpy as np


def softmax(x):
    """Column-wise softmax of ``x``."""
    e = np.exp(x - np.max(x))
    return e / e.sum(axis=0)


def sigmoid(x):
    """Element-wise logistic sigmoid of ``x``."""
    return 1 / (1 + np.exp(-x))


def rnn_cell_forward(xt, a_prev, parameters):
    """
    Implements a single forward step of the RNN cell.

    Arguments:
    xt -- your input data at timestep "t", numpy array of shape (n_x, m).
    a_prev -- hidden state at timestep "t-1", numpy array of shape (n_a, m)
    parameters -- python dictionary containing:
                        Wax -- weight matrix multiplying the input, numpy array of shape (n_a, n_x)
                        Waa -- weight matrix multiplying the hidden state, numpy array of shape (n_a, n_a)
                        Wya -- weight matrix relating the hidden state to the output, numpy array of shape (n_y, n_a)
                        ba -- bias, numpy array of shape (n_a, 1)
                        by -- bias relating the hidden state to the output, numpy array of shape (n_y, 1)

    Returns:
    a_next -- next hidden state, of shape (n_a, m)
    yt_pred -- prediction at timestep "t", numpy array of shape (n_y, m)
    cache -- tuple of values needed for the backward pass, contains (a_next, a_prev, xt, parameters)
    """
    # Retrieve parameters from "parameters"
    Wax = parameters["Wax"]
    Waa = parameters["Waa"]
    Wya = parameters["Wya"]
    ba = parameters["ba"]
    by = parameters["by"]

    ### START CODE HERE ###
    # compute next activation state using the formula given above (≈1 line)
    a_next = np.tanh(Waa @ a_prev + Wax @ xt + ba)
    # compute output of the current cell using the formula given above (≈1 line)
    yt_pred = softmax(Wya @ a_next + by)
    ### END CODE HERE ###

    # store values you need for backward propagation in cache
    cache = (a_next, a_prev, xt, parameters)

    return a_next, yt_pred, cache


def rnn_forward(x, a0, parameters):
    """
    Implements the forward propagation of the recurrent neural network.

    Arguments:
    x -- input data for every time-step, of shape (n_x, m, T_x).
    a0 -- initial hidden state, of shape (n_a, m)
    parameters -- python dictionary containing:
                        Waa -- weight matrix multiplying the hidden state, numpy array of shape (n_a, n_a)
                        Wax -- weight matrix multiplying the input, numpy array of shape (n_a, n_x)
                        Wya -- weight matrix relating the hidden state to the output, numpy array of shape (n_y, n_a)
                        ba -- bias, numpy array of shape (n_a, 1)
                        by -- bias relating the hidden state to the output, numpy array of shape (n_y, 1)

    Returns:
    a -- hidden states for every time-step, numpy array of shape (n_a, m, T_x)
    y_pred -- predictions for every time-step, numpy array of shape (n_y, m, T_x)
    caches -- tuple of values needed for the backward pass, contains (list of caches, x)
    """
    # Initialize "caches" which will contain the list of all caches
    caches = []

    # Retrieve dimensions from shapes of x and parameters["Wya"]
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wya"].shape

    # initialize "a" and "y_pred" with zeros
    a = np.zeros((n_a, m, T_x))
    y_pred = np.zeros((n_y, m, T_x))

    ### START CODE HERE ###
    # Initialize a_next (≈1 line)
    a_next = a0
    ### END CODE HERE ###

    # loop over all time-steps
    for t in range(T_x):
        ### START CODE HERE ###
        # Update next hidden state, compute the prediction, get the cache (≈1 line)
        a_next, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_next, parameters)
        # Save the value of the new "next" hidden state in a (≈1 line)
        a[:, :, t] = a_next
        # Save the value of the prediction in y_pred (≈1 line)
        y_pred[:, :, t] = yt_pred
        # Append "cache" to "caches" (≈1 line)
        caches.append(cache)
        ### END CODE HERE ###

    # store values needed for backward propagation in cache
    caches = (caches, x)

    return a, y_pred, caches


def rnn_cell_backward(da_next, cache):
    """
    Implements the backward pass for the RNN cell (single time-step).

    Arguments:
    da_next -- gradient of the loss with respect to the next hidden state, of shape (n_a, m)
    cache -- python tuple containing useful values (output of rnn_cell_forward())

    Returns:
    gradients -- python dictionary containing:
                        dxt -- gradient of the input data, of shape (n_x, m)
                        da_prev -- gradient of the previous hidden state, of shape (n_a, m)
                        dWax -- gradient of the input-to-hidden weights, of shape (n_a, n_x)
                        dWaa -- gradient of the hidden-to-hidden weights, of shape (n_a, n_a)
                        dba -- gradient of the bias, of shape (n_a, 1)
    """
    # Retrieve values from cache
    (a_next, a_prev, xt, parameters) = cache

    # Retrieve values from parameters
    Wax = parameters["Wax"]
    Waa = parameters["Waa"]

    ### START CODE HERE ###
    # compute the gradient of the loss with respect to z = Waa a_prev + Wax xt + ba, through tanh (≈1 line)
    dz = (1 - a_next**2) * da_next
    # compute the gradient of the loss with respect to xt and Wax (≈2 lines)
    dxt = Wax.T @ dz
    dWax = dz @ xt.T
    # compute the gradient with respect to a_prev and Waa (≈2 lines)
    da_prev = Waa.T @ dz
    dWaa = dz @ a_prev.T
    # compute the gradient with respect to ba (≈1 line)
    dba = np.sum(dz, axis=1)
    ### END CODE HERE ###

    # Store the gradients in a python dictionary
    gradients = {"dxt": dxt, "da_prev": da_prev, "dWax": dWax, "dWaa": dWaa, "dba": dba}

    return gradients


def rnn_backward(da, caches):
    """
    Implements the backward pass for a RNN over an entire sequence of input data.

    Arguments:
    da -- upstream gradients of all hidden states, of shape (n_a, m, T_x)
    caches -- tuple containing information from the forward pass (rnn_forward)

    Returns:
    gradients -- python dictionary containing:
                        dx -- gradient w.r.t. the input data, numpy-array of shape (n_x, m, T_x)
                        da0 -- gradient w.r.t the initial hidden state, numpy-array of shape (n_a, m)
                        dWax -- gradient w.r.t the input's weight matrix, numpy-array of shape (n_a, n_x)
                        dWaa -- gradient w.r.t the hidden state's weight matrix, numpy-array of shape (n_a, n_a)
                        dba -- gradient w.r.t the bias, of shape (n_a, 1)
    """
    # Retrieve values from caches: the list of the cells' caches and the input data
    (cell_caches, x) = caches

    # Retrieve dimensions from da's and x's shapes
    n_a, m, T_x = da.shape
    n_x = x.shape[0]

    # initialize the gradients with the right sizes
    dx = np.zeros((n_x, m, T_x))
    dWax = np.zeros((n_a, n_x))
    dWaa = np.zeros((n_a, n_a))
    dba = np.zeros((n_a, 1))

    ### START CODE HERE ###
    # initialize the gradient flowing back into the hidden state from the step after the last one (≈1 line)
    da_prevt = np.zeros((n_a, m))
    ### END CODE HERE ###

    # Loop through all the time steps, from the last one to the first
    for t in reversed(range(T_x)):
        ### START CODE HERE ###
        # Compute gradients at time step t: the hidden state's gradient is the upstream one plus the one
        # flowing back from step t+1 (≈1 line)
        gradients = rnn_cell_backward(da[:, :, t] + da_prevt, cell_caches[t])
        # Carry the gradient of the previous hidden state to the next iteration (≈1 line)
        da_prevt = gradients["da_prev"]
        # Store the input's gradient at time step t (≈1 line)
        dx[:, :, t] = gradients["dxt"]
        # Increment the global derivatives w.r.t. the parameters (≈3 lines)
        dWax += gradients["dWax"]
        dWaa += gradients["dWaa"]
        dba += gradients["dba"]
        ### END CODE HERE ###

    ### START CODE HERE ###
    # Set da0 to the gradient of a which has been backpropagated through all time-steps (≈1 line)
    da0 = da_prevt
    ### END CODE HERE ###

    # Store the gradients in a python dictionary
    gradients = {"dx": dx, "da0": da0, "dWax": dWax, "dWaa": dWaa, "dba": dba}

    return gradients


def lstm_cell_forward(xt, a_prev, c_prev, parameters):
    """
    Implement a single forward step of the LSTM-cell.

    Arguments:
    xt -- your input data at timestep "t", numpy array of shape (n_x, m).
    a_prev -- hidden state at timestep "t-1", numpy array of shape (n_a, m)
    c_prev -- memory state at timestep "t-1", numpy array of shape (n_a, m)
    parameters -- python dictionary containing:
                        Wf -- weight matrix of the forget gate, numpy array of shape (n_a, n_a + n_x)
                        bf -- bias of the forget gate, numpy array of shape (n_a, 1)
                        Wi -- weight matrix of the update gate, numpy array of shape (n_a, n_a + n_x)
                        bi -- bias of the update gate, numpy array of shape (n_a, 1)
                        Wc -- weight matrix of the first "tanh", numpy array of shape (n_a, n_a + n_x)
                        bc -- bias of the first "tanh", numpy array of shape (n_a, 1)
                        Wo -- weight matrix of the output gate, numpy array of shape (n_a, n_a + n_x)
                        bo -- bias of the output gate, numpy array of shape (n_a, 1)
                        Wy -- weight matrix relating the hidden state to the output, numpy array of shape (n_y, n_a)
                        by -- bias relating the hidden state to the output, numpy array of shape (n_y, 1)

    Returns:
    a_next -- next hidden state, of shape (n_a, m)
    c_next -- next memory state, of shape (n_a, m)
    yt_pred -- prediction at timestep "t", numpy array of shape (n_y, m)
    cache -- tuple of values needed for the backward pass, contains
             (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)

    Note: ft/it/ot stand for the forget/update/output gates, cct stands for the candidate value (c tilde),
          c stands for the memory value. The concatenation of a_prev and xt has a_prev on top.
    """
    # Retrieve parameters from "parameters"
    Wf = parameters["Wf"]
    bf = parameters["bf"]
    Wi = parameters["Wi"]
    bi = parameters["bi"]
    Wc = parameters["Wc"]
    bc = parameters["bc"]
    Wo = parameters["Wo"]
    bo = parameters["bo"]
    Wy = parameters["Wy"]
    by = parameters["by"]

    ### START CODE HERE ###
    # Concatenate a_prev and xt (≈1 line)
    concat = np.vstack([a_prev, xt])
    # Compute values for ft, it, cct, c_next, ot, a_next using the formulas given above (≈6 lines)
    ft = sigmoid(Wf @ concat + bf)
    it = sigmoid(Wi @ concat + bi)
    cct = np.tanh(Wc @ concat + bc)
    c_next = ft * c_prev + it * cct
    ot = sigmoid(Wo @ concat + bo)
    a_next = ot * np.tanh(c_next)
    # Compute prediction of the LSTM cell (≈1 line)
    yt_pred = softmax(Wy @ a_next + by)
    ### END CODE HERE ###

    # store values needed for backward propagation in cache
    cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)

    return a_next, c_next, yt_pred, cache


def lstm_forward(x, a0, parameters):
    """
    Implement the forward propagation of the recurrent neural network using an LSTM-cell.

    Arguments:
    x -- input data for every time-step, of shape (n_x, m, T_x).
    a0 -- initial hidden state, of shape (n_a, m)
    parameters -- python dictionary containing Wf, bf, Wi, bi, Wc, bc, Wo, bo, Wy, by
                  (shapes as in lstm_cell_forward)

    Returns:
    a -- hidden states for every time-step, numpy array of shape (n_a, m, T_x)
    y -- predictions for every time-step, numpy array of shape (n_y, m, T_x)
    c -- memory states for every time-step, numpy array of shape (n_a, m, T_x)
    caches -- tuple of values needed for the backward pass, contains (list of all the caches, x)
    """
    # Initialize "caches", which will track the list of all the caches
    caches = []

    # Retrieve dimensions from shapes of x and parameters['Wy']
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wy"].shape

    # initialize "a", "c" and "y" with zeros
    a = np.zeros((n_a, m, T_x))
    c = np.zeros((n_a, m, T_x))
    y = np.zeros((n_y, m, T_x))

    ### START CODE HERE ###
    # Initialize a_next and c_next (≈2 lines)
    a_next = a0
    c_next = a0
    ### END CODE HERE ###

    # loop over all time-steps
    for t in range(T_x):
        ### START CODE HERE ###
        # Update next hidden state, next memory state, compute the prediction, get the cache (≈1 line)
        a_next, c_next, yt, cache = lstm_cell_forward(x[:, :, t], a_next, c_next, parameters)
        # Save the value of the new "next" hidden state in a (≈1 line)
        a[:, :, t] = a_next
        # Save the value of the new "next" memory state in c (≈1 line)
        c[:, :, t] = c_next
        # Save the value of the prediction in y (≈1 line)
        y[:, :, t] = yt
        # Append the cache into caches (≈1 line)
        caches.append(cache)
        ### END CODE HERE ###

    # store values needed for backward propagation in cache
    caches = (caches, x)

    return a, y, c, caches


def lstm_cell_backward(da_next, dc_next, cache):
    """
    Implement the backward pass for the LSTM-cell (single time-step).

    Arguments:
    da_next -- gradient of the loss with respect to the next hidden state, of shape (n_a, m)
    dc_next -- gradient of the loss with respect to the next memory state, of shape (n_a, m)
    cache -- cache storing information from the forward pass (output of lstm_cell_forward())

    Returns:
    gradients -- python dictionary containing:
                        dxt -- gradient of the input data, of shape (n_x, m)
                        da_prev -- gradient of the previous hidden state, of shape (n_a, m)
                        dc_prev -- gradient of the previous memory state, of shape (n_a, m)
                        dWf -- gradient of the weight matrix of the forget gate, of shape (n_a, n_a + n_x)
                        dbf -- gradient of the bias of the forget gate, of shape (n_a, 1)
                        dWi -- gradient of the weight matrix of the update gate, of shape (n_a, n_a + n_x)
                        dbi -- gradient of the bias of the update gate, of shape (n_a, 1)
                        dWc -- gradient of the weight matrix of the candidate value, of shape (n_a, n_a + n_x)
                        dbc -- gradient of the bias of the candidate value, of shape (n_a, 1)
                        dWo -- gradient of the weight matrix of the output gate, of shape (n_a, n_a + n_x)
                        dbo -- gradient of the bias of the output gate, of shape (n_a, 1)
    """
    # Retrieve information from "cache"
    (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters) = cache

    # Retrieve the gates' weight matrices from "parameters"
    Wf = parameters["Wf"]
    Wi = parameters["Wi"]
    Wc = parameters["Wc"]
    Wo = parameters["Wo"]

    # Retrieve dimensions from a_next's shape
    n_a = a_next.shape[0]

    ### START CODE HERE ###
    # Compute the gradient of the memory state, through both dc_next and a_next (≈1 line)
    dc = da_next * ot * (1 - np.tanh(c_next) ** 2)
    # Compute gates related derivatives, before their non-linearities (≈4 lines)
    dot = da_next * np.tanh(c_next) * ot * (1 - ot)
    dcct = dc * it * (1 - cct**2)
    dit = dc * cct * it * (1 - it)
    dft = dc * c_prev * ft * (1 - ft)
    # Concatenate a_prev and xt (≈1 line)
    concat = np.vstack([a_prev, xt])
    # Compute parameters related derivatives (≈8 lines)
    dWf = dft @ concat.T
    dWi = dit @ concat.T
    dWc = dcct @ concat.T
    dWo = dot @ concat.T
    dbf = np.sum(dft, axis=1, keepdims=True)
    dbi = np.sum(dit, axis=1, keepdims=True)
    dbc = np.sum(dcct, axis=1, keepdims=True)
    dbo = np.sum(dot, axis=1, keepdims=True)
    # Compute derivatives w.r.t the concatenation, then split it into previous hidden state and input (≈3 lines)
    dconcat = Wf.T @ dft + Wi.T @ dit + Wc.T @ dcct + Wo.T @ dot
    da_prev = dconcat[:n_a, :]
    dxt = dconcat[n_a:, :]
    # Compute derivative w.r.t. the previous memory state (≈1 line)
    dc_prev = dc * ft
    ### END CODE HERE ###

    # Save gradients in dictionary
    gradients = {
        "dxt": dxt, "da_prev": da_prev, "dc_prev": dc_prev,
        "dWf": dWf, "dbf": dbf, "dWi": dWi, "dbi": dbi,
        "dWc": dWc, "dbc": dbc, "dWo": dWo, "dbo": dbo,
    }

    return gradients


def lstm_backward(da, caches):
    """
    Implement the backward pass for the RNN with LSTM-cell (over a whole sequence).

    Arguments:
    da -- upstream gradients of the hidden states, of shape (n_a, m, T_x); T_x may be smaller than the number
          of steps of the forward pass, in which case only the first T_x steps are back-propagated
    caches -- cache storing information from the forward pass (lstm_forward)

    Returns:
    gradients -- python dictionary containing:
                        dx -- gradient of inputs, of shape (n_x, m, T_x)
                        da0 -- gradient w.r.t. the initial hidden state, numpy array of shape (n_a, m)
                        dWf -- gradient w.r.t. the weight matrix of the forget gate, of shape (n_a, n_a + n_x)
                        dbf -- gradient w.r.t. the bias of the forget gate, of shape (n_a, 1)
                        dWi -- gradient w.r.t. the weight matrix of the update gate, of shape (n_a, n_a + n_x)
                        dbi -- gradient w.r.t. the bias of the update gate, of shape (n_a, 1)
                        dWc -- gradient w.r.t. the weight matrix of the candidate value, of shape (n_a, n_a + n_x)
                        dbc -- gradient w.r.t. the bias of the candidate value, of shape (n_a, 1)
                        dWo -- gradient w.r.t. the weight matrix of the output gate, of shape (n_a, n_a + n_x)
                        dbo -- gradient w.r.t. the bias of the output gate, of shape (n_a, 1)
    """
    # Retrieve values from caches: the list of the cells' caches and the input data
    (cell_caches, x) = caches

    # Retrieve dimensions from da's and x's shapes
    n_a, m, T_x = da.shape
    n_x = x.shape[0]

    # initialize the gradients with the right sizes
    dx = np.zeros((n_x, m, T_x))
    dWf = np.zeros((n_a, n_a + n_x))
    dWi = np.zeros((n_a, n_a + n_x))
    dWc = np.zeros((n_a, n_a + n_x))
    dWo = np.zeros((n_a, n_a + n_x))
    dbf = np.zeros((n_a, 1))
    dbi = np.zeros((n_a, 1))
    dbc = np.zeros((n_a, 1))
    dbo = np.zeros((n_a, 1))

    ### START CODE HERE ###
    # initialize the gradients flowing back into the hidden and memory states from beyond the last step (≈2 lines)
    da_prevt = np.zeros((n_a, m))
    dc_prevt = np.zeros((n_a, m))
    ### END CODE HERE ###

    # loop back over the whole sequence
    for t in reversed(range(T_x)):
        ### START CODE HERE ###
        # Compute all gradients using lstm_cell_backward (≈1 line)
        gradients = lstm_cell_backward(da[:, :, t] + da_prevt, dc_prevt, cell_caches[t])
        # Carry the gradients of the previous hidden and memory states to the next iteration (≈2 lines)
        da_prevt = gradients["da_prev"]
        dc_prevt = gradients["dc_prev"]
        # Store the input's gradient at time step t (≈1 line)
        dx[:, :, t] = gradients["dxt"]
        # Increment the global derivatives w.r.t. the parameters (≈8 lines)
        dWf += gradients["dWf"]
        dWi += gradients["dWi"]
        dWc += gradients["dWc"]
        dWo += gradients["dWo"]
        dbf += gradients["dbf"]
        dbi += gradients["dbi"]
        dbc += gradients["dbc"]
        dbo += gradients["dbo"]
        ### END CODE HERE ###

    ### START CODE HERE ###
    # Set the first activation's gradient to the back-propagated gradient da_prev (≈1 line)
    da0 = da_prevt
    ### END CODE HERE ###

    # Store the gradients in a python dictionary
    gradients = {
        "dx": dx, "da0": da0,
        "dWf": dWf, "dbf": dbf, "dWi": dWi, "dbi": dbi,
        "dWc": dWc, "dbc": dbc, "dWo": dWo, "dbo": dbo,
    }

    return gradients
