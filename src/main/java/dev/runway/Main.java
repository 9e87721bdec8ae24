package dev.runway;
public class Main { public static void main(String[] a) {} }
